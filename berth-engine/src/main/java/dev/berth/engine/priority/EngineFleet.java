package dev.berth.engine.priority;

import dev.berth.cgroups.CgroupManager;
import dev.berth.engine.containers.Container;
import dev.berth.engine.containers.ContainerEngine;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The {@link Preemptor.Fleet} of a {@link ContainerEngine}: its running containers with a berth.priority label. */
public final class EngineFleet implements Preemptor.Fleet {
  private final ContainerEngine engine;

  public EngineFleet(ContainerEngine engine) { this.engine = engine; }

  @Override public List<Member> members() {
    List<Member> out = new ArrayList<>();
    for (Container c : engine.list()) {
      String s = c.status();
      if (!s.equals("running") && !s.equals("paused")) continue;
      PriorityClass cls;
      try {
        cls = PriorityClass.of(c.config().get("Labels"));
      } catch (IllegalArgumentException e) {
        continue; // created before the check existed
      }
      if (cls != null) out.add(new Member(c.id, cls, s.equals("paused")));
    }
    return out;
  }

  @Override public CgroupManager cgroup(String id) {
    try {
      return engine.cgroupOf(engine.get(id));
    } catch (RuntimeException e) {
      return null;
    }
  }

  @Override public void event(String id, String action, Map<String, String> attributes) {
    try {
      engine.event(engine.get(id), action, attributes);
    } catch (RuntimeException e) {
      // removed meanwhile
    }
  }

  /** Starts a preemptor over the engine's containers and hooks it in (release before stop/kill/pause/rm, inspect). */
  public static Preemptor start(ContainerEngine engine, Policy.Mode mode, java.time.Duration interval) {
    double cpus = Runtime.getRuntime().availableProcessors();
    Preemptor p = new Preemptor(new EngineFleet(engine), new CgroupSamples(), new CgroupActuator(cpus),
        Policy.Config.defaults(mode, cpus), interval);
    engine.priority(p);
    thawLeftovers(p.fleetView());
    return p.start();
  }

  /**
   * A best-effort container whose cgroup is frozen while the engine has it running (not paused)
   * was frozen by an earlier berthd killed while holding it: thawed, with a resume event.
   */
  static void thawLeftovers(Preemptor.Fleet fleet) {
    for (Member m : fleet.members()) {
      if (m.paused() || !m.cls().bestEffort()) continue;
      CgroupManager cg = fleet.cgroup(m.id());
      try {
        if (cg != null && cg.freezerState() == dev.berth.cgroups.FreezerState.FROZEN) {
          cg.thaw();
          fleet.event(m.id(), "resume", Map.of("mode", "immediate", "reason", "held by an earlier berthd"));
        }
      } catch (RuntimeException e) {
        // left as it is; docker unpause thaws it
      }
    }
  }
}
