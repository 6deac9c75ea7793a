package dev.berth.engine.priority;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.cgroups.CgroupManager;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Events, holds and releases over a fake fleet (the cgroups themselves are exercised by PriorityIT). */
class PreemptorTest {
  final List<String> events = new ArrayList<>();
  final List<String> actions = new ArrayList<>();
  final Map<String, PriorityClass> members = new HashMap<>();
  final Map<String, Double> rates = new HashMap<>();
  final Map<String, Long> cpu = new HashMap<>();
  final Map<String, CgroupManager> cgroups = new HashMap<>();

  CgroupManager cg(String id) {
    return cgroups.computeIfAbsent(id, k -> (CgroupManager) Proxy.newProxyInstance(getClass().getClassLoader(),
        new Class<?>[] {CgroupManager.class}, (p, m, a) -> m.getName().equals("toString") ? k : null));
  }

  Preemptor preemptor(Policy.Mode mode) {
    Preemptor.Fleet fleet = new Preemptor.Fleet() {
      @Override public List<Member> members() {
        List<Member> l = new ArrayList<>();
        members.forEach((id, c) -> l.add(new Member(id, c, false)));
        return l;
      }

      @Override public CgroupManager cgroup(String id) { return members.containsKey(id) ? cg(id) : null; }

      @Override public void event(String id, String action, Map<String, String> a) { events.add(action + " " + id + " " + a.get("mode")); }
    };
    Preemptor.Samples samples = new Preemptor.Samples() {
      @Override public Policy.Usage usage(CgroupManager m) {
        String id = m.toString();
        long c = cpu.merge(id, (long) (rates.getOrDefault(id, 0.0) * 100_000_000L), Long::sum);
        return new Policy.Usage(c, -1, 0);
      }

      @Override public double nodeMemory() { return 0.1; }
    };
    Preemptor.Actuator act = new Preemptor.Actuator() {
      @Override public Preemptor.Original hold(CgroupManager m, Policy.Mode md, int level, int max, Preemptor.Original o) {
        actions.add("hold " + m + " " + level);
        return o != null ? o : new Preemptor.Original(-1, 100_000);
      }

      @Override public void release(CgroupManager m, Policy.Mode md, Preemptor.Original o) { actions.add("release " + m); }

      @Override public long quota(CgroupManager m) { return -1; }
    };
    return new Preemptor(fleet, samples, act, Policy.Config.defaults(mode, 2), Duration.ofMillis(100));
  }

  long t = 0;

  void ticks(Preemptor p, int n) {
    for (int i = 0; i < n; i++) p.tick(t += 100_000_000L);
  }

  @Test void preemptThenResumeWithOneEventEach() {
    Preemptor p = preemptor(Policy.Mode.IMMEDIATE);
    members.put("hog", PriorityClass.BEST_EFFORT);
    members.put("web", PriorityClass.LATENCY_CRITICAL);
    members.put("other", PriorityClass.parse("30"));
    rates.put("hog", 1.0);
    rates.put("web", 1.0);
    ticks(p, 5);
    assertThat(events).containsExactlyInAnyOrder("preempt hog immediate", "preempt other immediate");
    assertThat(p.preempted("hog")).isTrue();
    assertThat(p.describe("hog", PriorityClass.BEST_EFFORT).path("Preemption").path("State").asText()).isEqualTo("preempted");
    assertThat(p.describe("web", PriorityClass.LATENCY_CRITICAL).get("Preemption").isNull()).isTrue();
    // a best-effort container started meanwhile is held at once
    members.put("late", PriorityClass.BEST_EFFORT);
    ticks(p, 1);
    assertThat(events).contains("preempt late immediate");
    events.clear();
    members.remove("web");
    ticks(p, 20);
    assertThat(events).containsExactlyInAnyOrder("resume hog immediate", "resume other immediate", "resume late immediate");
    var d = p.describe("hog", PriorityClass.BEST_EFFORT).path("Preemption");
    assertThat(d.path("State").asText()).isEqualTo("running");
    assertThat(d.path("Count").asInt()).isEqualTo(1);
    assertThat(d.has("LastResumed")).isTrue();
  }

  @Test void releaseBeforeAStopGivesItBackAndNeverHoldsItAgainThisRun() {
    Preemptor p = preemptor(Policy.Mode.IMMEDIATE);
    members.put("hog", PriorityClass.BEST_EFFORT);
    members.put("web", PriorityClass.LATENCY_CRITICAL);
    rates.put("hog", 1.0);
    rates.put("web", 1.0);
    ticks(p, 3);
    p.release("hog", true);
    assertThat(actions).endsWith("release hog");
    ticks(p, 10);
    assertThat(p.preempted("hog")).isFalse();
    assertThat(events).containsExactly("preempt hog immediate", "resume hog immediate");
    members.remove("hog"); // its run ended: a new run may be held again
    ticks(p, 1);
    members.put("hog", PriorityClass.BEST_EFFORT);
    ticks(p, 2);
    assertThat(p.preempted("hog")).isTrue();
  }

  @Test void gracefulHoldsStepByStepWithOnePreemptEvent() {
    Preemptor p = preemptor(Policy.Mode.GRACEFUL);
    members.put("hog", PriorityClass.BEST_EFFORT);
    members.put("web", PriorityClass.LATENCY_CRITICAL);
    rates.put("hog", 1.0);
    rates.put("web", 1.0);
    ticks(p, 3);
    assertThat(actions).containsExactly("hold hog 1", "hold hog 2");
    assertThat(events).containsExactly("preempt hog graceful");
  }
}
