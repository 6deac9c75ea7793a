package dev.berth.engine.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Docker's security and resource defaults and the HostConfig options that change them, applied to
 * an OCI config: capabilities (Docker's 14, CapAdd/CapDrop, Privileged), masked and read-only paths,
 * the default seccomp profile (SecurityOpt seccomp=..., no-new-privileges), devices, ulimits,
 * ReadonlyRootfs and the resources (Memory, NanoCpus, CpuShares, PidsLimit, ...).
 *
 * <p>Skeleton: filled in by the security work of issue 10.
 */
public final class HostConfigSecurity {
  private HostConfigSecurity() {}

  /**
   * Applies Docker's defaults and {@code hostConfig}'s options to {@code oci} (a runtime-spec config
   * with process, root, mounts and linux already present).
   *
   * @throws IllegalArgumentException naming the HostConfig field that is invalid
   */
  public static void apply(ObjectNode oci, JsonNode hostConfig) {
    // skeleton
  }
}
