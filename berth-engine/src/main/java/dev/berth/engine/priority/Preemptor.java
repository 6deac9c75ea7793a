package dev.berth.engine.priority;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.cgroups.CgroupManager;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Preemptive priority classes (after BIG-C): every interval it reads the counters of the running
 * containers that carry a {@code berth.priority} label ({@link Samples}), asks the {@link Policy}
 * which level the best-effort ones are to be held at, and holds or releases each of them through
 * the {@link Actuator} (berth-cgroups: freezer or CFS quota). Each container that goes from free
 * to held gets a {@code preempt} event, each that goes back a {@code resume} event (attributes:
 * {@code mode}, {@code reason}); {@link #describe} is what inspect shows under {@code Berth}.
 * A best-effort container that starts while the others are held is held at once. Before a stop,
 * kill, pause or removal the engine calls {@link #release} (a frozen v1 cgroup would not die).
 */
public final class Preemptor implements AutoCloseable {
  /** What the engine gives the preemptor: its running labelled containers, their cgroups, events. */
  public interface Fleet {
    record Member(String id, PriorityClass cls, boolean paused) {}

    List<Member> members();

    /** The running container's cgroup, or null. */
    CgroupManager cgroup(String id);

    void event(String id, String action, Map<String, String> attributes);
  }

  /** The counters of a cgroup and the node's memory use. */
  public interface Samples {
    Policy.Usage usage(CgroupManager m);

    double nodeMemory();
  }

  /** The CFS quota and period a container had before a graceful hold (µs; -1 none). */
  public record Original(long quotaUs, long periodUs) {}

  /** Applies a level to a best-effort container and gives back what it had. */
  public interface Actuator {
    /** Holds {@code m} at {@code level} (1..maxLevel); returns what to give back (read on the first hold). */
    Original hold(CgroupManager m, Policy.Mode mode, int level, int maxLevel, Original orig);

    void release(CgroupManager m, Policy.Mode mode, Original orig);

    /** The CFS quota in force (µs, -1 none), for inspect. */
    long quota(CgroupManager m);
  }

  /** A held container. */
  private record Held(int level, Instant since, String reason, Original orig) {}

  private final Fleet fleet;
  private final Samples samples;
  private final Actuator actuator;
  private final Policy.Config cfg;
  private final Policy policy;
  private final Duration interval;
  private final Map<String, Held> held = new HashMap<>();
  private final Map<String, Instant> lastResumed = new HashMap<>();
  private final Map<String, Integer> preemptions = new HashMap<>();
  private final Map<String, CgroupManager> cgroups = new HashMap<>(); // a container's cgroup path is the same in every run
  private final java.util.Set<String> exempt = new java.util.HashSet<>(); // being stopped, killed or removed: never held again this run
  private String reason = "";
  private volatile boolean closed;
  private Thread thread;
  static PrintStream log = System.err;

  public Preemptor(Fleet fleet, Samples samples, Actuator actuator, Policy.Config cfg, Duration interval) {
    this.fleet = fleet;
    this.samples = samples;
    this.actuator = actuator;
    this.cfg = cfg;
    this.policy = new Policy(cfg);
    this.interval = interval;
  }

  public Policy.Config config() { return cfg; }

  Fleet fleetView() { return fleet; }

  public Duration interval() { return interval; }

  /** Starts the loop on a daemon thread. */
  public Preemptor start() {
    thread = Thread.ofPlatform().daemon().name("berth-preemptor").start(this::loop);
    return this;
  }

  private void loop() {
    long next = System.nanoTime();
    while (!closed) {
      next += interval.toNanos();
      long sleep = next - System.nanoTime();
      if (sleep > 0) {
        try {
          Thread.sleep(Duration.ofNanos(sleep));
        } catch (InterruptedException e) {
          return;
        }
      } else {
        next = System.nanoTime(); // behind (a busy host): no catching up in a burst
      }
      try {
        tick(System.nanoTime());
      } catch (RuntimeException e) {
        log.println("berthd: preemptor: " + e);
      }
    }
  }

  /** One interval: read, decide, act. Public for tests that drive it by hand. */
  public synchronized void tick(long nanoTime) {
    Map<String, Policy.Usage> lc = new LinkedHashMap<>(), be = new LinkedHashMap<>();
    Map<String, CgroupManager> beCgroups = new LinkedHashMap<>();
    java.util.Set<String> alive = new java.util.HashSet<>();
    java.util.Set<String> listed = new java.util.HashSet<>();
    for (Fleet.Member mb : fleet.members()) {
      listed.add(mb.id());
      if (mb.paused() || exempt.contains(mb.id())) continue;
      CgroupManager m = cgroups.get(mb.id());
      if (m == null && (m = fleet.cgroup(mb.id())) != null) cgroups.put(mb.id(), m);
      if (m == null) continue;
      alive.add(mb.id());
      Policy.Usage u = samples.usage(m);
      if (mb.cls().latencyCritical()) lc.put(mb.id(), u);
      else {
        be.put(mb.id(), u);
        beCgroups.put(mb.id(), m);
      }
    }
    held.keySet().retainAll(alive); // ended or paused by the user: nothing to give back
    exempt.retainAll(listed);
    cgroups.keySet().retainAll(listed);
    Policy.Decision d = policy.next(new Policy.Tick(nanoTime, lc, be, samples.nodeMemory()));
    if (d.changed()) reason = d.reason();
    int level = d.level();
    for (var e : beCgroups.entrySet()) {
      String id = e.getKey();
      Held h = held.get(id);
      int now = h == null ? 0 : h.level();
      if (now == level) continue;
      try {
        if (level == 0) {
          actuator.release(e.getValue(), cfg.mode(), h.orig());
          held.remove(id);
          lastResumed.put(id, Instant.now());
          fleet.event(id, "resume", attrs(reason, h));
        } else {
          Original o = actuator.hold(e.getValue(), cfg.mode(), level, cfg.maxLevel(), h == null ? null : h.orig());
          held.put(id, new Held(level, h == null ? Instant.now() : h.since(), reason, o));
          if (h == null) {
            preemptions.merge(id, 1, Integer::sum);
            fleet.event(id, "preempt", attrs(reason, null));
          }
        }
      } catch (RuntimeException ex) {
        log.println("berthd: preemptor: " + id + ": " + ex.getMessage());
      }
    }
  }

  private Map<String, String> attrs(String why, Held h) {
    Map<String, String> a = new LinkedHashMap<>();
    a.put("mode", cfg.mode().label());
    a.put("reason", why);
    if (h != null) a.put("preemptedFor", Long.toString(Duration.between(h.since(), Instant.now()).toMillis()) + "ms");
    return a;
  }

  /**
   * Gives a held container back at once, with a resume event if it was held. {@code ending}
   * (a stop, kill or removal): it is not held again while it runs, so its signal is delivered and
   * its end not blocked by a freeze; a pause: the user's freeze takes over.
   */
  public synchronized void release(String id, boolean ending) {
    if (ending) exempt.add(id);
    Held h = held.remove(id);
    if (h == null) return;
    CgroupManager m = fleet.cgroup(id);
    if (m == null) return;
    try {
      actuator.release(m, cfg.mode(), h.orig());
      lastResumed.put(id, Instant.now());
      fleet.event(id, "resume", attrs("released for a stop, kill, pause or removal", h));
    } catch (RuntimeException e) {
      log.println("berthd: preemptor: " + id + ": " + e.getMessage());
    }
  }

  /** Whether the container is held now. */
  public synchronized boolean preempted(String id) { return held.containsKey(id); }

  /**
   * Inspect's {@code Berth} object: {@code Priority} (the label value), {@code Class}
   * (latency-critical or best-effort; both null without the label), and {@code Preemption} (null
   * but for best-effort ones): {@code State} (preempted / running), {@code Mode}, {@code Level},
   * {@code MaxLevel}, {@code Since}, {@code Reason} (while held), {@code Count}, {@code LastResumed}.
   * Every key is always there, so {@code docker inspect -f '{{.Berth.Preemption.State}}'} works.
   */
  public synchronized ObjectNode describe(String id, PriorityClass cls) {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    if (cls == null) {
      o.putNull("Priority");
      o.putNull("Class");
      o.putNull("Preemption");
      return o;
    }
    o.put("Priority", cls.name());
    o.put("Class", cls.latencyCritical() ? "latency-critical" : "best-effort");
    if (cls.latencyCritical()) o.putNull("Preemption");
    if (cls.bestEffort()) {
      ObjectNode p = o.putObject("Preemption");
      Held h = held.get(id);
      p.put("State", h != null ? "preempted" : "running");
      p.put("Mode", cfg.mode().label());
      p.put("Level", h != null ? h.level() : 0);
      p.put("MaxLevel", cfg.maxLevel());
      if (h != null) {
        p.put("Since", h.since().toString());
        p.put("Reason", h.reason());
      }
      p.put("Count", preemptions.getOrDefault(id, 0));
      Instant r = lastResumed.get(id);
      if (r != null) p.put("LastResumed", r.toString());
    }
    return o;
  }

  @Override public void close() {
    closed = true;
    if (thread != null) thread.interrupt();
  }
}
