package dev.berth.cli.runc;

import dev.berth.cgroups.Resources;
import dev.berth.runtime.convert.ResourcesConverter;
import dev.berth.runtime.ops.Update;
import dev.berth.spec.Node;
import dev.berth.spec.Spec;
import dev.berth.spec.SpecException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** update: new limits on a live container, from runc's flags or a linux.resources JSON file. */
final class UpdateCommand implements RuncCommand {
  public String name() {
    return "update";
  }

  public String summary() {
    return "Change the resource limits of a running container.";
  }

  public String arguments() {
    return "<container-id>";
  }

  public List<Flag> flags() {
    return List.of(
        Flag.value("--resources", "-r", "file", "linux.resources JSON, - for stdin"),
        Flag.value("--memory", "-m", "size", "memory limit (e.g. 512m)"),
        Flag.value("--memory-swap", null, "size", "memory+swap limit"),
        Flag.value("--memory-reservation", null, "size", "soft limit"),
        Flag.value("--kernel-memory", null, "size", "kernel memory limit"),
        Flag.value("--kernel-memory-tcp", null, "size", "kernel TCP buffer limit"),
        Flag.value("--cpu-shares", null, "n", "relative weight"),
        Flag.value("--cpu-quota", null, "us", "CFS quota per period"),
        Flag.value("--cpu-period", null, "us", "CFS period"),
        Flag.value("--cpu-burst", null, "us", "CFS burst"),
        Flag.value("--cpu-rt-period", null, "us", "realtime period"),
        Flag.value("--cpu-rt-runtime", null, "us", "realtime runtime"),
        Flag.value("--cpuset-cpus", null, "list", "CPUs"),
        Flag.value("--cpuset-mems", null, "list", "memory nodes"),
        Flag.value("--cpu-idle", null, "0|1", "SCHED_IDLE for the cgroup"),
        Flag.value("--pids-limit", null, "n", "maximum number of processes"),
        Flag.value("--blkio-weight", null, "n", "block IO weight"),
        Flag.value("--l3-cache-schema", null, "schema", "accepted"),
        Flag.value("--mem-bw-schema", null, "schema", "accepted"));
  }

  public int run(Global g, Args a) throws Exception {
    Resources r;
    String file = a.string("--resources");
    if (file != null) {
      byte[] json = file.equals("-") ? System.in.readAllBytes() : Files.readAllBytes(Path.of(file));
      r = ResourcesConverter.of(new Node(Spec.readTree(json), "resources"));
    } else {
      r = Resources.EMPTY;
      Long mem = bytes(a, "--memory");
      Long swap = bytes(a, "--memory-swap");
      Long res = bytes(a, "--memory-reservation");
      Long kmem = bytes(a, "--kernel-memory");
      Long ktcp = bytes(a, "--kernel-memory-tcp");
      if (mem != null || swap != null || res != null || kmem != null || ktcp != null) {
        r = r.withMemory(new Resources.Memory(mem, res, swap, kmem, ktcp, null, null, null, null));
      }
      Long shares = a.longValue("--cpu-shares");
      Long quota = a.longValue("--cpu-quota");
      Long period = a.longValue("--cpu-period");
      Long burst = a.longValue("--cpu-burst");
      Long rtPeriod = a.longValue("--cpu-rt-period");
      Long rtRuntime = a.longValue("--cpu-rt-runtime");
      Long idle = a.longValue("--cpu-idle");
      String cpus = a.string("--cpuset-cpus");
      String mems = a.string("--cpuset-mems");
      if (shares != null || quota != null || period != null || burst != null || rtPeriod != null || rtRuntime != null
          || idle != null || cpus != null || mems != null) {
        r = r.withCpu(new Resources.Cpu(shares, quota, burst, period, rtRuntime, rtPeriod, cpus, mems, idle));
      }
      Long pids = a.longValue("--pids-limit");
      if (pids != null) r = r.withPids(new Resources.Pids(pids));
      Long weight = a.longValue("--blkio-weight");
      if (weight != null) r = r.withBlockIO(Resources.BlockIO.weight(Math.toIntExact(weight)));
    }
    Update.update(g.context(), a.id(), r);
    return 0;
  }

  /** "512m", "1g", "-1", "1048576" → bytes. */
  static Long bytes(Args a, String flag) {
    String v = a.string(flag);
    if (v == null) return null;
    String s = v.trim().toLowerCase(Locale.ROOT);
    if (s.equals("-1")) return -1L;
    if (s.endsWith("b")) s = s.substring(0, s.length() - 1);
    long mult = switch (s.isEmpty() ? ' ' : s.charAt(s.length() - 1)) {
      case 'k' -> 1L << 10;
      case 'm' -> 1L << 20;
      case 'g' -> 1L << 30;
      case 't' -> 1L << 40;
      default -> 1;
    };
    if (mult != 1) s = s.substring(0, s.length() - 1);
    try {
      long n = Long.parseLong(s);
      if (n < 0) throw new NumberFormatException();
      return Math.multiplyExact(n, mult);
    } catch (NumberFormatException | ArithmeticException e) {
      throw new SpecException(flag, "expected a size like 512m or 1g, got \"" + v + "\"");
    }
  }
}
