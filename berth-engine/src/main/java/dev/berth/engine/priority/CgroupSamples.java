package dev.berth.engine.priority;

import dev.berth.cgroups.CgroupManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads a container's counters from its cgroup files, whichever layout: CPU time from v1
 * {@code cpuacct.usage} or v2 {@code cpu.stat usage_usec}; the PSI stall from {@code cpu.pressure}
 * (the cgroup2 directory, which the hybrid layout has too; absent where the kernel has no PSI);
 * memory from v1 {@code memory.usage_in_bytes} or v2 {@code memory.current}, less the inactive page
 * cache. The node's memory in use from /proc/meminfo (MemTotal - MemAvailable).
 */
public final class CgroupSamples implements Preemptor.Samples {
  private final Path meminfo;

  public CgroupSamples() { this(Path.of("/proc/meminfo")); }

  CgroupSamples(Path meminfo) { this.meminfo = meminfo; }

  @Override public Policy.Usage usage(CgroupManager m) {
    long cpu = -1, stall = -1, mem = -1, inactive = 0;
    for (Path d : m.paths()) {
      if (cpu < 0) {
        String s = read(d.resolve("cpuacct.usage"));
        if (s != null) cpu = parse(s.strip());
        else if ((s = read(d.resolve("cpu.stat"))) != null && s.contains("usage_usec")) cpu = field(s, "usage_usec") * 1000;
      }
      if (stall < 0) {
        String s = read(d.resolve("cpu.pressure"));
        if (s != null) stall = psiSomeTotal(s);
      }
      if (mem < 0) {
        String s = read(d.resolve("memory.usage_in_bytes"));
        if (s == null) s = read(d.resolve("memory.current"));
        if (s != null) {
          mem = parse(s.strip());
          String st = read(d.resolve("memory.stat"));
          if (st != null) inactive = Math.max(0, st.contains("total_inactive_file") ? field(st, "total_inactive_file") : field(st, "inactive_file"));
        }
      }
    }
    return new Policy.Usage(Math.max(0, cpu), stall, Math.max(0, mem - inactive));
  }

  @Override public double nodeMemory() {
    String s = read(meminfo);
    if (s == null) return -1;
    long total = field(s, "MemTotal:"), avail = field(s, "MemAvailable:");
    return total <= 0 || avail < 0 ? -1 : (double) (total - avail) / total;
  }

  /** "some avg10=.. avg60=.. avg300=.. total=N": N (µs), or -1. */
  static long psiSomeTotal(String s) {
    for (String line : s.split("\n")) {
      if (!line.startsWith("some ")) continue;
      int i = line.indexOf("total=");
      if (i >= 0) return parse(line.substring(i + 6).strip());
    }
    return -1;
  }

  /** The number after {@code key} on its line ("key N" or "key: N kB"), or -1. */
  static long field(String s, String key) {
    for (String line : s.split("\n")) {
      if (!line.startsWith(key)) continue;
      String rest = line.substring(key.length()).strip();
      if (!key.endsWith(":") && !line.startsWith(key + " ")) continue;
      int sp = rest.indexOf(' ');
      return parse(sp < 0 ? rest : rest.substring(0, sp));
    }
    return -1;
  }

  private static long parse(String s) {
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
