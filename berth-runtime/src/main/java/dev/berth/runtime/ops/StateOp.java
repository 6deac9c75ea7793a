package dev.berth.runtime.ops;

import dev.berth.runtime.RuntimeContext;
import dev.berth.runtime.state.Container;
import dev.berth.runtime.state.Status;
import java.util.LinkedHashMap;
import java.util.Map;

/** state: the runtime-spec state JSON (with runc's extra rootfs/created/owner fields). */
public final class StateOp {
  private StateOp() {}

  public static Map<String, Object> state(RuntimeContext ctx, String id) {
    return json(ctx, Lifecycle.load(ctx, id));
  }

  static Map<String, Object> json(RuntimeContext ctx, Container c) {
    Status s = Lifecycle.status(ctx, c);
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("ociVersion", c.record().ociVersion().isEmpty() ? "1.2.0" : c.record().ociVersion());
    o.put("id", c.id());
    o.put("pid", (long) (s == Status.STOPPED ? 0 : c.pid().orElse(0)));
    o.put("status", s.json());
    o.put("bundle", c.record().bundle());
    o.put("rootfs", c.record().rootfs());
    o.put("created", c.record().created());
    o.put("owner", c.record().owner());
    String exit = c.exitStatus();
    if (exit != null) o.put("exitStatus", exit);
    o.put("annotations", new LinkedHashMap<>(c.record().annotations()));
    return o;
  }
}
