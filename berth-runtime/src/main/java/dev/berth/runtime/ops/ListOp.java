package dev.berth.runtime.ops;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.runtime.ContainerException;
import dev.berth.runtime.RuntimeContext;
import java.util.ArrayList;
import java.util.List;

/** list: every container in the state root with its live status. */
public final class ListOp {
  private ListOp() {}

  public static List<ObjectNode> list(RuntimeContext ctx) {
    List<ObjectNode> out = new ArrayList<>();
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
