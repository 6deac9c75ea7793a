package dev.berth.runtime.ops;

import dev.berth.runtime.ContainerException;
import dev.berth.runtime.RuntimeContext;
import dev.berth.runtime.state.Container;
import dev.berth.runtime.state.Status;
import dev.berth.sys.Linux;
import dev.berth.sys.Signals;

/** kill: a signal to the init, or with --all to every process in the container's cgroup. */
public final class Kill {
  private Kill() {}

  public static int parseSignal(String signal) {
    try {
      return Signals.parse(signal);
    } catch (IllegalArgumentException e) {
      throw ContainerException.invalid(e.getMessage());
    }
  }

  /**
   * SIGTERM and SIGKILL (what containerd and podman send) go through ProcessHandle, the others
   * through FFM: loading the foreign-function machinery costs more than the rest of a kill.
   */
  static void signal(int pid, int sig) {
    if (sig == 9 || sig == 15) {
      var h = ProcessHandle.of(pid);
      if (h.isEmpty()) return;
      boolean sent = sig == 9 ? h.get().destroyForcibly() : h.get().destroy();
      if (sent || !h.get().isAlive()) return;
    }
    Linux.kill(pid, sig);
  }

  public static void kill(RuntimeContext ctx, String id, String signal, boolean all) {
    int sig = parseSignal(signal);
    Container c = Lifecycle.load(ctx, id);
    Status s = Lifecycle.status(ctx, c);
    if (all && c.record().cgroupsPath() != null) {
      if (s == Status.STOPPED && c.pid().isEmpty()) throw ContainerException.wrongState(id, s, "kill");
      var cg = ctx.cgroups(c);
      for (int pid : cg.pids()) {
        try {
          signal(pid, sig);
        } catch (RuntimeException ignored) {
          // exited meanwhile
        }
      }
      if (s == Status.PAUSED && (sig == 9 || sig == 15)) cg.thaw();
      return;
    }
    int pid = Lifecycle.requirePid(c, s, "kill");
    signal(pid, sig);
    if (s == Status.PAUSED && sig == 9) ctx.cgroups(c).thaw();
  }
}
