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
    if (s == Status.STOPPED && c.pid().isEmpty() && c.record().cgroupsPath() != null && populated(ctx, c)) {
      return Status.CREATING; // a create killed half-way: not stopped while its cgroup holds processes
    }
    if (s == Status.RUNNING || s == Status.CREATED) {
      try {
        if (c.record().cgroupsPath() != null && ctx.cgroups(c).freezerState() == FreezerState.FROZEN) return Status.PAUSED;
      } catch (RuntimeException e) {
        // no freezer: cannot be paused
      }
    }
    return s;
  }

  /**
   * Any process in the container's cgroup, in any hierarchy. Read file by file: a hierarchy whose
   * directory is being removed meanwhile (ENODEV) or is gone says nothing about the others.
   */
  static boolean populated(RuntimeContext ctx, Container c) {
    java.util.List<java.nio.file.Path> dirs;
    try {
      dirs = ctx.cgroups(c).paths();
    } catch (RuntimeException e) {
      return false;
    }
    for (var d : dirs) {
      try {
        if (!java.nio.file.Files.readString(d.resolve("cgroup.procs")).isBlank()) return true;
      } catch (java.io.IOException gone) {
        // not there (any more)
      }
    }
    return false;
  }

  static int requirePid(Container c, Status s, String action) {
    if (c.pid().isEmpty() || s == Status.STOPPED) throw ContainerException.wrongState(c.id(), s, action);
    return c.pid().getAsInt();
  }
}
