package dev.berth.runtime.ops;

import java.util.Map;
import dev.berth.runtime.ContainerException;
import dev.berth.runtime.RuntimeContext;
import java.util.ArrayList;
import java.util.List;

/** list: every container in the state root with its live status. */
public final class ListOp {
  private ListOp() {}

  public static List<Map<String, Object>> list(RuntimeContext ctx) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (String id : ctx.store().ids()) {
      try {
        out.add(StateOp.json(ctx, ctx.store().load(id)));
      } catch (ContainerException e) {
        // removed while listing
      }
    }
    return out;
  }
}
