package dev.berth.runtime.ops;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.runtime.RuntimeContext;
import dev.berth.runtime.state.Container;
import dev.berth.runtime.state.Status;

/** state: the runtime-spec state JSON (with runc's extra rootfs/created/owner fields). */
public final class StateOp {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private StateOp() {}

  public static ObjectNode state(RuntimeContext ctx, String id) {
    Container c = Lifecycle.load(ctx, id);
    return json(ctx, c);
  }

  static ObjectNode json(RuntimeContext ctx, Container c) {
    Status s = Lifecycle.status(ctx, c);
    ObjectNode o = MAPPER.createObjectNode();
    o.put("ociVersion", c.record().ociVersion().isEmpty() ? "1.2.0" : c.record().ociVersion());
    o.put("id", c.id());
    o.put("pid", s == Status.STOPPED ? 0 : c.pid().orElse(0));
    o.put("status", s.json());
    o.put("bundle", c.record().bundle());
    o.put("rootfs", c.record().rootfs());
    o.put("created", c.record().created());
    o.put("owner", c.record().owner());
    String exit = c.exitStatus();
    if (exit != null) o.put("exitStatus", exit);
    ObjectNode a = o.putObject("annotations");
    c.record().annotations().forEach(a::put);
    return o;
  }

  public static String pretty(ObjectNode o) {
    try {
      return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(o);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
