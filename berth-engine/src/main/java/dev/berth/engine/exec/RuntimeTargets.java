package dev.berth.engine.exec;

import dev.berth.runtime.ContainerException;
import dev.berth.runtime.RuntimeContext;
import dev.berth.runtime.ops.StateOp;
import java.util.Map;

/** Containers of a runtime state root (bin/berth-runc's), by their exact id: exec's stand-in seam. */
public record RuntimeTargets(RuntimeContext runtime) implements ExecTargets {
  @Override
  public Target resolve(String ref) {
    if (ref == null || ref.isEmpty() || ref.startsWith(".") || ref.contains("/") || !runtime.store().exists(ref)) {
      throw new ContainerException(ContainerException.Kind.NOT_FOUND, "No such container: " + ref);
    }
    Map<String, Object> s;
    try {
      s = StateOp.state(runtime, ref);
    } catch (ContainerException e) {
      if (e.kind() == ContainerException.Kind.NOT_FOUND) throw new ContainerException(ContainerException.Kind.NOT_FOUND, "No such container: " + ref);
      throw e;
    }
    String st = String.valueOf(s.get("status"));
    String docker = switch (st) {
      case "running" -> "running";
      case "paused" -> "paused";
      case "created", "creating" -> "created";
      default -> "exited";
    };
    return new Target(ref, ref, ref, docker);
  }
}
