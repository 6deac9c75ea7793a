package dev.berth.runtime.ops;

import dev.berth.cgroups.FreezerState;
import dev.berth.runtime.ContainerException;
import dev.berth.runtime.RuntimeContext;
import dev.berth.runtime.state.Container;
import dev.berth.runtime.state.Status;

/** Loading a container and reading its live status (the freezer decides paused). */
final class Lifecycle {
  private Lifecycle() {}

  static Container load(RuntimeContext ctx, String id) {
    return ctx.store().load(id);
  }

  static Status status(RuntimeContext ctx, Container c) {
    Status s = c.baseStatus();
    if (s == Status.RUNNING || s == Status.CREATED) {
      try {
        if (c.record().cgroupsPath() != null && ctx.cgroups(c).freezerState() == FreezerState.FROZEN) return Status.PAUSED;
      } catch (RuntimeException e) {
        // no freezer: cannot be paused
      }
    }
    return s;
  }

  static int requirePid(Container c, Status s, String action) {
    if (c.pid().isEmpty() || s == Status.STOPPED) throw ContainerException.wrongState(c.id(), s, action);
    return c.pid().getAsInt();
  }
}
