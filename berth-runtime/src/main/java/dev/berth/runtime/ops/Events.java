package dev.berth.runtime.ops;

import dev.berth.cgroups.CgroupManager;
import dev.berth.cgroups.Stats;
import dev.berth.runtime.ContainerException;
import dev.berth.runtime.RuntimeContext;
import dev.berth.runtime.state.Container;
import dev.berth.runtime.state.Status;

/** events: the container's accounting (and OOM notifications) from its cgroup. */
public final class Events {
  private Events() {}

  public static Stats stats(RuntimeContext ctx, String id) {
    return manager(ctx, id).stats();
  }

  /** The cgroup of a container that has not stopped. */
  public static CgroupManager manager(RuntimeContext ctx, String id) {
    Container c = Lifecycle.load(ctx, id);
    Status s = Lifecycle.status(ctx, c);
    if (s == Status.STOPPED || c.record().cgroupsPath() == null) throw ContainerException.wrongState(id, s, "read events of");
    return ctx.cgroups(c);
  }

  public static boolean running(RuntimeContext ctx, String id) {
    try {
      return Lifecycle.status(ctx, Lifecycle.load(ctx, id)) != Status.STOPPED;
    } catch (ContainerException e) {
      return false;
    }
  }
}
