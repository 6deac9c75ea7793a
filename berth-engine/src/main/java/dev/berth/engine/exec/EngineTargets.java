package dev.berth.engine.exec;

import dev.berth.engine.containers.Container;
import dev.berth.engine.containers.ContainerEngine;
import dev.berth.engine.containers.EngineException;
import dev.berth.runtime.ContainerException;
import dev.berth.runtime.RuntimeContext;

/** berthd's containers ({@link ContainerEngine}) as exec's targets: Docker's ids, names and prefixes. */
public record EngineTargets(ContainerEngine engine) implements ExecTargets {
  @Override
  public Target resolve(String ref) {
    Container c;
    try {
      c = engine.get(ref);
    } catch (EngineException e) {
      ContainerException.Kind k = switch (e.kind()) {
        case NOT_FOUND -> ContainerException.Kind.NOT_FOUND;
        case INVALID -> ContainerException.Kind.INVALID;
        case CONFLICT -> ContainerException.Kind.WRONG_STATE;
        default -> ContainerException.Kind.SYSTEM;
      };
      throw new ContainerException(k, e.getMessage());
    }
    return new Target(c.id, c.id, c.name().startsWith("/") ? c.name().substring(1) : c.name(), c.status());
  }

  @Override
  public RuntimeContext runtime() {
    return engine.runtime();
  }

  @Override
  public void event(String id, String action, java.util.Map<String, String> attributes) {
    try {
      engine.event(engine.get(id), action, attributes);
    } catch (EngineException e) {
      // removed meanwhile: no event
    }
  }

  @Override
  public void onRemoved(String id, Runnable r) {
    try {
      engine.get(id).removedFuture().thenRun(r);
    } catch (EngineException e) {
      r.run();
    }
  }
}
