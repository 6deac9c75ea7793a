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

  public static void kill(RuntimeContext ctx, String id, String signal, boolean all) {
    int sig = parseSignal(signal);
    Container c = Lifecycle.load(ctx, id);
    Status s = Lifecycle.status(ctx, c);
    if (all && c.record().cgroupsPath() != null) {
      if (s == Status.STOPPED && c.pid().isEmpty()) throw ContainerException.wrongState(id, s, "kill");
      var cg = ctx.cgroups(c);
      for (int pid : cg.pids()) {
        try {
          Linux.kill(pid, sig);
        } catch (RuntimeException ignored) {
          // exited meanwhile
        }
      }
      if (s == Status.PAUSED && (sig == 9 || sig == 15)) cg.thaw();
      return;
    }
    int pid = Lifecycle.requirePid(c, s, "kill");
    Linux.kill(pid, sig);
    if (s == Status.PAUSED && sig == 9) ctx.cgroups(c).thaw();
  }
}
