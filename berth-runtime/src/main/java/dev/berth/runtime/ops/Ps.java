package dev.berth.runtime.ops;

import dev.berth.runtime.ContainerException;
import dev.berth.runtime.RuntimeContext;
import dev.berth.runtime.state.Container;
import dev.berth.runtime.state.Status;
import java.util.List;

/** ps: the host pids in the container's cgroup. */
public final class Ps {
  private Ps() {}

  public static List<Integer> pids(RuntimeContext ctx, String id) {
    Container c = Lifecycle.load(ctx, id);
    Status s = Lifecycle.status(ctx, c);
    if (s == Status.STOPPED || c.record().cgroupsPath() == null) throw ContainerException.wrongState(id, s, "list processes of");
    return ctx.cgroups(c).pids();
  }
}
