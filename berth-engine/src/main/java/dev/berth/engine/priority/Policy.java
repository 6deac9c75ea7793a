package dev.berth.engine.priority;

import java.util.Map;

/**
 * The preemption decision, pure: fed one {@link Tick} per interval (the cumulative counters of the
 * latency-critical and best-effort containers and the node's memory use), it answers the level the
 * best-effort containers are to be held at: 0 = running freely; in {@link Mode#IMMEDIATE} 1 =
 * preempted (frozen); in {@link Mode#GRACEFUL} 1..{@code steps}, each step halving their CPU quota.
 *
 * <p>Preempt when a latency-critical container is busy (at least {@code busyCores} of CPU) and it
 * is starved (its PSI "some" stall at least {@code stallHigh} of the interval, where the kernel has
 * PSI for it) or the node is saturated (latency-critical plus best-effort use at least
 * {@code saturation} of the capacity); or when any latency-critical container exists and the node's
 * memory use crosses {@code memHigh}. Graceful mode steps one level further for every interval the
 * pressure lasts.
 *
 * <p>Resume (hysteresis) only after {@code resumeAfter} intervals in a row that are calm: memory
 * below {@code memLow}, and no latency-critical container busy, or room for both (their use plus the
 * best-effort demand measured before the preemption within {@code room} of the capacity, and no
 * stall above half of {@code stallHigh}). A preemption that follows a resumption within twice the
 * current wait doubles the wait (up to {@code maxResumeAfter}), so a workload near the edge does not
 * flap; a resumption that holds as long resets it.
 */
public final class Policy {
  public enum Mode {
    IMMEDIATE, GRACEFUL;

    public static Mode parse(String s) {
      return switch (s) {
        case "immediate" -> IMMEDIATE;
        case "graceful" -> GRACEFUL;
        default -> throw new IllegalArgumentException("--preempt-mode " + s + ": immediate or graceful");
      };
    }

    public String label() { return name().toLowerCase(java.util.Locale.ROOT); }
  }

  public record Config(Mode mode, double capacity, double busyCores, double stallHigh, double saturation, double room,
                       double memHigh, double memLow, int resumeAfter, int maxResumeAfter, int steps) {
    public static Config defaults(Mode mode, double capacity) {
      return new Config(mode, capacity, 0.05, 0.10, 0.90, 0.75, 0.90, 0.85, 10, 80, 6);
    }

    public int maxLevel() { return mode == Mode.IMMEDIATE ? 1 : steps; }
  }

  /** Cumulative counters of one container: CPU time (ns), PSI "some" stall (µs, -1: no PSI), memory in use (bytes). */
  public record Usage(long cpuNs, long stallUs, long memBytes) {}

  /** One reading: monotonic time, the containers by id, the node's memory in use as a fraction (-1: unknown). */
  public record Tick(long nanoTime, Map<String, Usage> lc, Map<String, Usage> be, double nodeMem) {}

  /** The level to hold, and why it changed (null if it did not). */
  public record Decision(int level, String reason) {
    public boolean changed() { return reason != null; }
  }

  private final Config cfg;
  private Tick prev;
  private int level;
  private int calm;
  private long ticks;
  private long lastResume = Long.MIN_VALUE / 2;
  private int wait;
  private double beDemand;
  // the rates of the last tick, for inspection and tests
  private double lcCpu, beCpu, stall = -1;

  public Policy(Config cfg) {
    this.cfg = cfg;
    this.wait = cfg.resumeAfter();
  }

  public int level() { return level; }

  /** The current wait (intervals) before a resumption. */
  public int resumeWait() { return wait; }

  public double lcCpu() { return lcCpu; }

  public double beCpu() { return beCpu; }

  public double stall() { return stall; }

  public Decision next(Tick t) {
    Tick p = prev;
    prev = t;
    ticks++;
    if (p == null || t.nanoTime() <= p.nanoTime()) return new Decision(level, null);
    double dt = t.nanoTime() - p.nanoTime();
    lcCpu = cpuRate(p.lc(), t.lc(), dt);
    beCpu = cpuRate(p.be(), t.be(), dt);
    stall = -1;
    for (var e : t.lc().entrySet()) {
      Usage before = p.lc().get(e.getKey());
      if (before == null || e.getValue().stallUs() < 0 || before.stallUs() < 0) continue;
      stall = Math.max(stall, Math.max(0, e.getValue().stallUs() - before.stallUs()) * 1000.0 / dt);
    }
    boolean lcPresent = !t.lc().isEmpty();
    boolean lcBusy = lcCpu >= cfg.busyCores();
    boolean starved = stall >= cfg.stallHigh();
    boolean saturated = lcCpu + beCpu >= cfg.saturation() * cfg.capacity();
    boolean cpuPressure = lcBusy && (starved || saturated);
    boolean memPressure = lcPresent && t.nodeMem() >= cfg.memHigh();
    boolean pressure = cpuPressure || memPressure;
    String why = memPressure ? String.format("memory %.0f%% of the node", t.nodeMem() * 100)
        : starved ? String.format("latency-critical stalled %.0f%% of the interval", stall * 100)
        : String.format("node saturated: latency-critical %.2f + best-effort %.2f of %.0f CPUs", lcCpu, beCpu, cfg.capacity());
    if (level == 0) {
      beDemand = Math.max(beDemand * 0.8, beCpu);
      if (!pressure) return new Decision(0, null);
      if (ticks - lastResume < 2L * wait) wait = Math.min(cfg.maxResumeAfter(), wait * 2);
      else wait = cfg.resumeAfter();
      level = 1;
      calm = 0;
      return new Decision(level, why);
    }
    if (pressure) {
      calm = 0;
      if (level < cfg.maxLevel()) {
        level++;
        return new Decision(level, why);
      }
      return new Decision(level, null);
    }
    boolean memOk = t.nodeMem() < cfg.memLow();
    boolean room = lcCpu + beDemand <= cfg.room() * cfg.capacity() && stall < cfg.stallHigh() / 2;
    if (memOk && (!lcBusy || room)) calm++;
    else calm = 0;
    if (calm < wait) return new Decision(level, null);
    level = 0;
    calm = 0;
    lastResume = ticks;
    beDemand = 0;
    return new Decision(0, !lcPresent ? "no latency-critical container" : !lcBusy ? "latency-critical idle" : "room for both");
  }

  private static double cpuRate(Map<String, Usage> before, Map<String, Usage> now, double dtNs) {
    double sum = 0;
    for (var e : now.entrySet()) {
      Usage b = before.get(e.getKey());
      if (b != null) sum += Math.max(0, e.getValue().cpuNs() - b.cpuNs());
    }
    return sum / dtNs;
  }
}
