package dev.berth.engine.priority;

import dev.berth.cgroups.CgroupManager;
import dev.berth.cgroups.Resources;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Holds a best-effort container at a level through berth-cgroups: immediate = the freezer
 * ({@link CgroupManager#freeze}, thaw to resume); graceful level k = its CFS quota halved k times
 * from what it had (the whole node when it had none), the last step {@link #MIN_QUOTA_US} per
 * period, and its own quota (or none) given back on resume.
 */
public final class CgroupActuator implements Preemptor.Actuator {
  /** The floor of a graceful preemption: 1 ms of CPU per 100 ms period (1% of one CPU). */
  public static final long MIN_QUOTA_US = 1000;
  private final double capacity;

  public CgroupActuator(double capacity) { this.capacity = capacity; }

  @Override public Preemptor.Original hold(CgroupManager m, Policy.Mode mode, int level, int maxLevel, Preemptor.Original orig) {
    if (mode == Policy.Mode.IMMEDIATE) {
      m.freeze();
      return orig != null ? orig : new Preemptor.Original(-1, -1);
    }
    Preemptor.Original o = orig != null ? orig : original(m);
    long period = o.periodUs() > 0 ? o.periodUs() : 100_000;
    long base = o.quotaUs() > 0 ? o.quotaUs() : (long) (capacity * period);
    long quota = level >= maxLevel ? MIN_QUOTA_US : Math.max(MIN_QUOTA_US, base >> level);
    m.update(Resources.EMPTY.withCpu(Resources.Cpu.of().withQuota(quota, period)));
    return o;
  }

  @Override public void release(CgroupManager m, Policy.Mode mode, Preemptor.Original orig) {
    if (mode == Policy.Mode.IMMEDIATE) {
      m.thaw();
      return;
    }
    if (orig == null) return;
    long period = orig.periodUs() > 0 ? orig.periodUs() : 100_000;
    m.update(Resources.EMPTY.withCpu(Resources.Cpu.of().withQuota(orig.quotaUs() > 0 ? orig.quotaUs() : -1L, period)));
  }

  @Override public long quota(CgroupManager m) {
    return original(m).quotaUs();
  }

  /** The CFS quota and period in force (v1 cpu.cfs_*; v2 cpu.max), -1 when unlimited or unknown. */
  static Preemptor.Original original(CgroupManager m) {
    for (Path d : m.paths()) {
      try {
        if (Files.exists(d.resolve("cpu.cfs_quota_us"))) {
          return new Preemptor.Original(Long.parseLong(Files.readString(d.resolve("cpu.cfs_quota_us")).strip()),
              Long.parseLong(Files.readString(d.resolve("cpu.cfs_period_us")).strip()));
        }
        if (Files.exists(d.resolve("cpu.max"))) {
          String[] f = Files.readString(d.resolve("cpu.max")).strip().split("\\s+");
          return new Preemptor.Original(f[0].equals("max") ? -1 : Long.parseLong(f[0]), Long.parseLong(f[1]));
        }
      } catch (IOException | RuntimeException e) {
        // next directory
      }
    }
    return new Preemptor.Original(-1, -1);
  }
}
