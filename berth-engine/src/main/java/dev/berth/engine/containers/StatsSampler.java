package dev.berth.engine.containers;

import dev.berth.cgroups.CgroupManager;
import dev.berth.cgroups.Stats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * Samples of one container's accounting for {@code GET /containers/{id}/stats}: its cgroup's {@link
 * Stats} with the host figures dockerd sends beside them (system CPU time from /proc/stat, online
 * CPUs, machine memory). Obtained from {@link ContainerEngine#stats}; not thread-safe (one per
 * request).
 */
public final class StatsSampler {
  /** USER_HZ: /proc/stat counts in clock ticks of 1/100 s. */
  private static final long NS_PER_TICK = 10_000_000L;

  /**
   * One sample. {@code cgroup} is null when the container is not running (dockerd then sends
   * zeros).
   *
   * @param systemCpu nanoseconds of host CPU time (all CPUs, as dockerd's system_cpu_usage)
   * @param machineMemory MemTotal in bytes (dockerd caps the memory limit to it)
   * @param networks each interface's counters by its name in the container (eth0, …); empty when
   *     not running or on no bridge network
   */
  public record Sample(Instant read, Stats cgroup, long systemCpu, int onlineCpus, long machineMemory,
      java.util.Map<String, dev.berth.engine.networks.NetworkService.IfCounters> networks) {
    public Sample {
      networks = networks == null ? java.util.Map.of() : networks;
    }
  }

  private final ContainerEngine engine;
  private final Container container;
  private CgroupManager cgroup;

  StatsSampler(ContainerEngine engine, Container container) {
    this.engine = engine;
    this.container = container;
  }

  public Container container() { return container; }

  /** The container's accounting now; {@code cgroup} null if it is not running (or its cgroup went away). */
  public Sample sample() {
    Instant now = Instant.now();
    Stats s = null;
    if (container.running()) {
      try {
        if (cgroup == null) cgroup = engine.cgroupOf(container);
        if (cgroup != null && cgroup.exists()) s = cgroup.stats();
      } catch (RuntimeException e) {
        s = null; // stopped meanwhile: its cgroup is gone
      }
      if (s != null && !container.running()) s = null;
    }
    long[] cpu = procStat();
    return new Sample(now, s, cpu[0], (int) cpu[1], memTotal(), s == null ? null : engine.interfaceCounters(container));
  }

  /** {total ns of the host's CPU time, online CPUs} from /proc/stat. */
  static long[] procStat() {
    long total = 0, cpus = 0;
    try {
      List<String> lines = Files.readAllLines(Path.of("/proc/stat"));
      for (String l : lines) {
        if (l.startsWith("cpu ")) {
          String[] f = l.trim().split("\\s+");
          // user nice system idle iowait irq softirq steal (guest time is already in user)
          for (int i = 1; i < f.length && i <= 8; i++) total += Long.parseLong(f[i]);
        } else if (l.startsWith("cpu")) {
          cpus++;
        }
      }
    } catch (IOException | RuntimeException e) {
      // leave zeros
    }
    return new long[] {total * NS_PER_TICK, cpus};
  }

  static long memTotal() {
    try {
      for (String l : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (l.startsWith("MemTotal:")) return Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024;
      }
    } catch (IOException | RuntimeException e) {
      // unknown
    }
    return 0;
  }
}
