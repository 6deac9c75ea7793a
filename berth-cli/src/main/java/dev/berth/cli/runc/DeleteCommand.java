package dev.berth.cli.runc;

import dev.berth.runtime.ContainerException;
import dev.berth.runtime.ops.Delete;
import java.util.List;

final class DeleteCommand implements RuncCommand {
  public String name() {
    return "delete";
  }

  public String summary() {
    return "Remove a stopped container (any container with --force).";
  }

  public String arguments() {
    return "<container-id>";
  }

  public List<Flag> flags() {
    return List.of(Flag.bool("--force", "-f", "kill it first if it still runs"));
  }

  public int run(Global g, Args a) {
    boolean force = a.bool("--force");
    try {
      Delete.delete(g.context(), a.id(), force);
    } catch (ContainerException e) {
      // As runc: deleting an id that is already gone with --force succeeds.
      if (!(force && e.kind() == ContainerException.Kind.NOT_FOUND)) throw e;
    }
    return 0;
  }
}
