package dev.berth.runtime.ops;

import dev.berth.runtime.ContainerException;
import dev.berth.runtime.RuntimeContext;
import dev.berth.runtime.state.Container;
import dev.berth.runtime.state.Status;

/** pause / resume through the freezer; status then reads paused / running. */
public final class Freeze {
  private Freeze() {}

  public static void pause(RuntimeContext ctx, String id) {
    Container c = Lifecycle.load(ctx, id);
    Status s = Lifecycle.status(ctx, c);
    if (s != Status.RUNNING && s != Status.CREATED) throw ContainerException.wrongState(id, s, "pause");
    ctx.cgroups(c).freeze();
  }

  public static void resume(RuntimeContext ctx, String id) {
    Container c = Lifecycle.load(ctx, id);
    Status s = Lifecycle.status(ctx, c);
    if (s != Status.PAUSED) throw ContainerException.wrongState(id, s, "resume");
    ctx.cgroups(c).thaw();
  }
}
