package dev.berth.engine.exec;

import dev.berth.runtime.RuntimeContext;

/**
 * What exec needs from the containers service: a container by the reference a client gives (id,
 * name or unique id prefix) and the runtime it lives in; {@link EngineTargets} over berthd's
 * containers.
 */
public interface ExecTargets {
  /** The container, or a ContainerException of kind NOT_FOUND ("No such container: REF"). */
  Target resolve(String ref);

  RuntimeContext runtime();

  /** Runs {@code r} once container {@code id} is removed (its exec instances go with it). */
  default void onRemoved(String id, Runnable r) {}

  /** Publishes a container event of exec's (exec_create/exec_start/exec_die) for container {@code id}; none by default. */
  default void event(String id, String action, java.util.Map<String, String> attributes) {}

  /**
   * @param id the container's id as the API shows it
   * @param runtimeId its id in the runtime's state root
   * @param name without the leading slash
   * @param state Docker's State.Status: created, running, paused, restarting, exited, dead
   */
  record Target(String id, String runtimeId, String name, String state) {}
}
