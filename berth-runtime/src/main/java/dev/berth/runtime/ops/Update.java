package dev.berth.runtime.ops;

import dev.berth.cgroups.Resources;
import dev.berth.runtime.ContainerException;
import dev.berth.runtime.RuntimeContext;
import dev.berth.runtime.state.Container;
import dev.berth.runtime.state.Status;

/** update: new limits on a live container, all or nothing (the cgroup manager restores on failure). */
public final class Update {
  private Update() {}

  public static void update(RuntimeContext ctx, String id, Resources r) {
    Container c = Lifecycle.load(ctx, id);
    Status s = Lifecycle.status(ctx, c);
    if (s == Status.STOPPED) throw ContainerException.wrongState(id, s, "update");
    ctx.cgroups(c).update(r);
  }
}
