package dev.berth.runtime.ops;

import dev.berth.runtime.ContainerException;
import dev.berth.runtime.RuntimeContext;
import dev.berth.runtime.state.Container;
import dev.berth.runtime.state.Status;
import dev.berth.sys.Errno;
import dev.berth.sys.Signals;
import dev.berth.sys.SyscallException;
import dev.berth.sys.Syscalls;
import java.util.List;

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
   * One signal to the init. A SIGKILL or SIGTERM to a process that is gone (it exited since its
   * state was read) is done; any other refusal is reported.
   */
  static void signal(Syscalls sys, int pid, int sig) {
    try {
      sys.kill(pid, sig);
    } catch (SyscallException e) {
      if (e.errno() != Errno.ESRCH || (sig != 9 && sig != 15)) throw e;
    }
  }

  /** kill --all: the signal to every pid; one that cannot be signalled (exited meanwhile) stops none of the others. */
  static void signalAll(Syscalls sys, List<Integer> pids, int sig) {
    for (int pid : pids) {
      try {
        sys.kill(pid, sig);
      } catch (RuntimeException ignored) {
        // exited meanwhile
      }
    }
  }

  public static void kill(RuntimeContext ctx, String id, String signal, boolean all) {
    kill(Syscalls.linux(), ctx, id, signal, all);
  }

  static void kill(Syscalls sys, RuntimeContext ctx, String id, String signal, boolean all) {
    int sig = parseSignal(signal);
    Container c = Lifecycle.load(ctx, id);
    Status s = Lifecycle.status(ctx, c);
    if (all && c.record().cgroupsPath() != null) {
      if (s == Status.STOPPED && c.pid().isEmpty()) throw ContainerException.wrongState(id, s, "kill");
      var cg = ctx.cgroups(c);
      signalAll(sys, cg.pids(), sig);
      if (s == Status.PAUSED && (sig == 9 || sig == 15)) cg.thaw();
      return;
    }
    int pid = Lifecycle.requirePid(c, s, "kill");
    signal(sys, pid, sig);
    if (s == Status.PAUSED && sig == 9) ctx.cgroups(c).thaw();
  }
}
