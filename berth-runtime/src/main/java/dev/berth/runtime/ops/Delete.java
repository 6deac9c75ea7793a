package dev.berth.runtime.ops;

import dev.berth.runtime.ContainerException;
import dev.berth.runtime.RuntimeContext;
import dev.berth.runtime.state.Container;
import dev.berth.runtime.state.ProcRecord;
import dev.berth.runtime.state.Status;
import dev.berth.spec.Spec;

/**
 * delete: a stopped (or, with --force, any) container's processes are killed, its cgroup removed
 * from every hierarchy, poststop hooks run, and its state directory removed. The id is then free.
 */
public final class Delete {
  private Delete() {}

  /** How long a monitor may take to record the exit after its container died before it is killed. */
  static final long MONITOR_GRACE_MS = 2_000;

  public static void delete(RuntimeContext ctx, String id, boolean force) {
    Container c = Lifecycle.load(ctx, id);
    Status s = Lifecycle.status(ctx, c);
    if (s != Status.STOPPED && !force) {
      throw new ContainerException(ContainerException.Kind.WRONG_STATE,
          "cannot delete container \"" + id + "\": it is " + s + " (stop it first, or use --force)");
    }
    if (c.pid().isEmpty()) {
      // A create that has not finished (--force) or was killed: stop whoever is still making it
      // (the JVM, the launcher, a monitor setting up) before undoing what they made; what they
      // wrote meanwhile (state.json, the cgroup path) is read again.
      ProcRecord.killAndWait(c.creators(), 5_000);
      ProcRecord.killAndWait(c.monitors(), 5_000);
      c = Lifecycle.load(ctx, id);
    }
    if (s != Status.STOPPED) {
      int pid = c.pid().orElse(0);
      if (pid > 0) {
        try {
          Kill.signal(dev.berth.sys.Syscalls.linux(), pid, 9);
        } catch (RuntimeException ignored) {
          // gone already
        }
      }
    }
    var cg = c.record().cgroupsPath() == null ? null : ctx.cgroups(c);
    if (cg != null && s == Status.PAUSED) cg.thaw(); // so that the init can die
    if (s != Status.STOPPED) waitGone(c.pid().orElse(0));
    // The monitor records the end once the init is gone (or undoes a run -d whose exec failed):
    // wait for it and the keeper (killed after a grace period) before touching the cgroup or the
    // directory, so that nothing of theirs runs while they are removed.
    var monitors = c.monitors();
    if (!ProcRecord.waitGone(monitors, MONITOR_GRACE_MS)) ProcRecord.killAndWait(monitors, 5_000);
    if (cg != null) {
      cg.destroy(); // kills whatever is left (no pid namespace, --force) and removes every hierarchy
      pruneParents(cg.paths(), ctx.cgroupParent());
    }
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
