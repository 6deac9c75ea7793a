package dev.berth.engine.drift;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A container's drift policy, from its {@code berth.drift} label. The one value is
 * {@code deny-exec}: the kernel refuses to execute any file of the container's root filesystem
 * that was added or changed after the container was created (a file of its overlay upper dir),
 * see {@link ExecGuard}. Without the label, no policy.
 */
public enum DriftPolicy {
  DENY_EXEC;

  public static final String LABEL = "berth.drift";
  static final String ALLOWED = "deny-exec";

  /** The policy a container's Config.Labels give it, or null without the label; IllegalArgumentException naming the label and the allowed values. */
  public static DriftPolicy of(JsonNode labels) {
    if (labels == null || !labels.isObject() || !labels.has(LABEL)) return null;
    JsonNode v = labels.get(LABEL);
    String s = v.isTextual() ? v.asText() : v.toString();
    if (s.trim().equals("deny-exec")) return DENY_EXEC;
    throw new IllegalArgumentException("invalid label " + LABEL + "=" + s + ": allowed values are " + ALLOWED);
  }

  /** As {@link #of}, null for a bad value too. */
  public static DriftPolicy ofOrNull(JsonNode labels) {
    try {
      return of(labels);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
