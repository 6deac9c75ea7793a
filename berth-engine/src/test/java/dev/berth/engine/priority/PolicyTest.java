package dev.berth.engine.priority;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The decision alone, over a fake sample source: cumulative counters advanced by hand, 100 ms ticks. */
class PolicyTest {
  static final long TICK = 100_000_000L;

  /** A fake node: per container a CPU rate (cores) and a stall fraction; counters accumulate per tick. */
  static final class FakeNode {
    final Map<String, double[]> lc = new HashMap<>(), be = new HashMap<>(); // {cores, stall (-1 none)}
    final Map<String, long[]> counters = new HashMap<>();
    long now = 1_000_000_000L;
    double mem = 0.3;

    Policy.Tick tick() {
      now += TICK;
      return new Policy.Tick(now, usages(lc), usages(be), mem);
    }

    private Map<String, Policy.Usage> usages(Map<String, double[]> m) {
      Map<String, Policy.Usage> out = new HashMap<>();
      m.forEach((id, r) -> {
        long[] c = counters.computeIfAbsent(id, k -> new long[2]);
        c[0] += (long) (r[0] * TICK);
        if (r[1] >= 0) c[1] += (long) (r[1] * TICK / 1000);
        out.put(id, new Policy.Usage(c[0], r[1] < 0 ? -1 : c[1], 1 << 20));
      });
      return out;
    }
  }

  static int run(Policy p, FakeNode n, int ticks) {
    int level = p.level();
    for (int i = 0; i < ticks; i++) level = p.next(n.tick()).level();
    return level;
  }

  @Test void bestEffortAloneIsNeverPreempted() {
    Policy p = new Policy(Policy.Config.defaults(Policy.Mode.IMMEDIATE, 2));
    FakeNode n = new FakeNode();
    n.be.put("hog", new double[] {2.0, -1});
    assertThat(run(p, n, 50)).isZero();
  }

  @Test void busyLatencyCriticalOnASaturatedNodePreemptsAtOnceAndHoldsWhileBusy() {
    Policy p = new Policy(Policy.Config.defaults(Policy.Mode.IMMEDIATE, 2));
    FakeNode n = new FakeNode();
    n.be.put("hog", new double[] {1.0, -1});
    n.lc.put("web", new double[] {1.0, -1});
    assertThat(p.next(n.tick()).level()).isZero(); // first reading: no rate yet
    Policy.Decision d = p.next(n.tick());
    assertThat(d.level()).isEqualTo(1);
    assertThat(d.reason()).contains("saturated");
    n.be.put("hog", new double[] {0, -1}); // frozen
    assertThat(run(p, n, 100)).as("still busy: 1 + demand 1 > 75%% of 2").isEqualTo(1);
  }

  @Test void stallFromPsiPreemptsEvenWhenTheNodeLooksFree() {
    Policy p = new Policy(Policy.Config.defaults(Policy.Mode.IMMEDIATE, 8));
    FakeNode n = new FakeNode();
    n.be.put("hog", new double[] {1.0, 0});
    n.lc.put("web", new double[] {0.5, 0.3}); // stalled 30% (other load on the host)
    p.next(n.tick());
    Policy.Decision d = p.next(n.tick());
    assertThat(d.level()).isEqualTo(1);
    assertThat(d.reason()).contains("stalled 30%");
  }

  @Test void idleLatencyCriticalDoesNotPreempt() {
    Policy p = new Policy(Policy.Config.defaults(Policy.Mode.IMMEDIATE, 2));
    FakeNode n = new FakeNode();
    n.be.put("hog", new double[] {2.0, -1});
    n.lc.put("web", new double[] {0.01, 0.9});
    assertThat(run(p, n, 30)).isZero();
  }

  @Test void resumesOnlyAfterTheWaitOnceTheLatencyCriticalContainerIsGone() {
    Policy.Config cfg = Policy.Config.defaults(Policy.Mode.IMMEDIATE, 2);
    Policy p = new Policy(cfg);
    FakeNode n = new FakeNode();
    n.be.put("hog", new double[] {1.0, -1});
    n.lc.put("web", new double[] {1.0, -1});
    assertThat(run(p, n, 2)).isEqualTo(1);
    n.be.put("hog", new double[] {0, -1});
    n.lc.clear();
    assertThat(run(p, n, cfg.resumeAfter() - 1)).as("hysteresis: not before %d calm intervals", cfg.resumeAfter()).isEqualTo(1);
    Policy.Decision d = p.next(n.tick());
    assertThat(d.level()).isZero();
    assertThat(d.reason()).isEqualTo("no latency-critical container");
  }

  @Test void aBlipOfCalmDoesNotResume() {
    Policy.Config cfg = Policy.Config.defaults(Policy.Mode.IMMEDIATE, 2);
    Policy p = new Policy(cfg);
    FakeNode n = new FakeNode();
    n.be.put("hog", new double[] {1.0, -1});
    n.lc.put("web", new double[] {1.0, -1});
    run(p, n, 2);
    for (int i = 0; i < 10; i++) {
      n.lc.put("web", new double[] {0.0, -1});
      assertThat(run(p, n, cfg.resumeAfter() - 2)).isEqualTo(1);
      n.lc.put("web", new double[] {1.0, -1});
      assertThat(run(p, n, 1)).isEqualTo(1);
    }
  }

  @Test void flappingDoublesTheWaitUpToTheBound() {
    Policy.Config cfg = Policy.Config.defaults(Policy.Mode.IMMEDIATE, 2);
    Policy p = new Policy(cfg);
    FakeNode n = new FakeNode();
    n.be.put("hog", new double[] {1.0, -1});
    int waits = 0;
    for (int round = 0; round < 6; round++) {
      n.lc.put("web", new double[] {1.0, -1});
      n.be.put("hog", new double[] {1.0, -1});
      run(p, n, 2);
      assertThat(p.level()).isEqualTo(1);
      waits = p.resumeWait();
      n.lc.put("web", new double[] {0.0, -1});
      n.be.put("hog", new double[] {0.0, -1});
      int ticks = 0;
      while (p.level() != 0) {
        p.next(n.tick());
        ticks++;
      }
      assertThat(ticks).isEqualTo(waits);
    }
    assertThat(waits).isEqualTo(cfg.maxResumeAfter());
  }

  @Test void gracefulStepsDownOneLevelPerPressuredInterval() {
    Policy.Config cfg = Policy.Config.defaults(Policy.Mode.GRACEFUL, 2);
    Policy p = new Policy(cfg);
    FakeNode n = new FakeNode();
    n.be.put("hog", new double[] {1.0, 0});
    n.lc.put("web", new double[] {1.0, 0.5});
    p.next(n.tick());
    for (int level = 1; level <= cfg.steps(); level++) assertThat(p.next(n.tick()).level()).isEqualTo(level);
    assertThat(p.next(n.tick()).level()).isEqualTo(cfg.steps());
    n.lc.put("web", new double[] {1.0, 0.0}); // no stall: held where it is (no room for the old demand)
    assertThat(run(p, n, 50)).isEqualTo(cfg.steps());
  }

  @Test void gracefulHoldsAtAStepThatEndsThePressure() {
    Policy p = new Policy(Policy.Config.defaults(Policy.Mode.GRACEFUL, 2));
    FakeNode n = new FakeNode();
    n.be.put("hog", new double[] {1.0, 0});
    n.lc.put("web", new double[] {1.0, 0.5});
    run(p, n, 3);
    assertThat(p.level()).isEqualTo(2);
    n.lc.put("web", new double[] {1.0, 0.0});
    n.be.put("hog", new double[] {0.25, 0});
    assertThat(run(p, n, 30)).isEqualTo(2);
  }

  @Test void memoryOverTheWatermarkPreemptsAndResumesBelowTheLowOne() {
    Policy.Config cfg = Policy.Config.defaults(Policy.Mode.IMMEDIATE, 2);
    Policy p = new Policy(cfg);
    FakeNode n = new FakeNode();
    n.be.put("hog", new double[] {0.1, -1});
    n.lc.put("db", new double[] {0.0, -1});
    n.mem = 0.95;
    run(p, n, 2);
    assertThat(p.level()).isEqualTo(1);
    n.mem = 0.87; // between the watermarks: held
    assertThat(run(p, n, 40)).isEqualTo(1);
    n.mem = 0.5;
    assertThat(run(p, n, cfg.resumeAfter())).isZero();
  }

  @Test void roomForBothResumesWhileTheLatencyCriticalOneRuns() {
    Policy.Config cfg = Policy.Config.defaults(Policy.Mode.IMMEDIATE, 4);
    Policy p = new Policy(cfg);
    FakeNode n = new FakeNode();
    n.be.put("hog", new double[] {0.5, 0});
    n.lc.put("web", new double[] {0.5, 0.4});
    run(p, n, 2);
    assertThat(p.level()).isEqualTo(1);
    n.lc.put("web", new double[] {0.5, 0.0});
    assertThat(run(p, n, cfg.resumeAfter())).isZero();
  }
}
