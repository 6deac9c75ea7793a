package dev.berth.runtime.ops;

import dev.berth.runtime.ContainerException;
import dev.berth.runtime.RuntimeContext;
import dev.berth.runtime.state.Container;
import dev.berth.runtime.state.Status;
import dev.berth.spec.Spec;

/**
 * delete: a stopped (or, with --force, any) container's processes are killed, its cgroup removed
 * from every hierarchy, poststop hooks run, and its state directory removed. The id is then free.
 */
public final class Delete {
  private Delete() {}

  public static void delete(RuntimeContext ctx, String id, boolean force) {
    Container c = Lifecycle.load(ctx, id);
    Status s = Lifecycle.status(ctx, c);
    if (s != Status.STOPPED && !force) {
      throw new ContainerException(ContainerException.Kind.WRONG_STATE,
          "cannot delete container \"" + id + "\": it is " + s + " (stop it first, or use --force)");
    }
    if (s != Status.STOPPED) {
      int pid = c.pid().orElse(0);
      if (pid > 0) {
        try {
          Kill.signal(pid, 9);
        } catch (RuntimeException ignored) {
          // gone already
        }
      }
    }
    if (c.record().cgroupsPath() != null) {
      var cg = ctx.cgroups(c);
      if (s == Status.PAUSED) cg.thaw();
      cg.destroy(); // kills whatever is left (no pid namespace, --force) and removes every hierarchy
      pruneParents(cg.paths(), ctx.cgroupParent());
    }
    if (s != Status.STOPPED) waitGone(c.pid().orElse(0));
    Spec spec = null;
    try {
      spec = Hooks.config(c);
    } catch (RuntimeException e) {
      // a damaged saved config must not block delete
    }
    if (spec != null && !c.record().created().isEmpty()) {
      Hooks.run(spec, spec.hooks().poststop(), c, "stopped", 0, false);
    }
    ctx.store().remove(id);
  }

  /** Removes the default parent cgroup once its last container is gone (fails harmlessly before). */
  static void pruneParents(java.util.List<java.nio.file.Path> dirs, String defaultParent) {
    for (var d : dirs) {
      var parent = d.getParent();
      if (parent == null || !parent.getFileName().toString().equals(defaultParent)) {
        continue;
      }
      try {
        java.nio.file.Files.delete(parent);
      } catch (java.io.IOException busy) {
        // other containers still live there
      }
    }
  }

  private static void waitGone(int pid) {
    if (pid <= 0) return;
    for (int i = 0; i < 2000 && !zombie(pid); i++) {
      try {
        Thread.sleep(1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private static boolean zombie(int pid) {
    return !dev.berth.runtime.state.ProcStat.aliveSince(pid, java.time.Instant.EPOCH);
  }
}
