package dev.berth.engine.priority;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A container's priority class, from its {@code berth.priority} label: {@code latency-critical}
 * (= 100), {@code best-effort} (= 0) or a number 0..100. A container whose class is at least
 * {@link #THRESHOLD} is latency-critical (its demand triggers preemption); below it, best-effort
 * (preemptible). A container without the label is neither: never preempted, never counted.
 */
public record PriorityClass(int value) {
  public static final String LABEL = "berth.priority";
  public static final int THRESHOLD = 50;
  public static final PriorityClass LATENCY_CRITICAL = new PriorityClass(100);
  public static final PriorityClass BEST_EFFORT = new PriorityClass(0);
  static final String ALLOWED = "latency-critical, best-effort or a number 0..100";

  public boolean latencyCritical() { return value >= THRESHOLD; }

  public boolean bestEffort() { return value < THRESHOLD; }

  /** The class of a label value; IllegalArgumentException naming the label and the allowed values. */
  public static PriorityClass parse(String v) {
    if (v != null) {
      String s = v.trim();
      if (s.equalsIgnoreCase("latency-critical")) return LATENCY_CRITICAL;
      if (s.equalsIgnoreCase("best-effort")) return BEST_EFFORT;
      if (s.matches("[0-9]{1,3}")) {
        int n = Integer.parseInt(s);
        if (n <= 100) return new PriorityClass(n);
      }
    }
    throw new IllegalArgumentException("invalid label " + LABEL + "=" + v + ": allowed values are " + ALLOWED);
  }

  /** The class a container's Config.Labels give it, or null without the label (checked: bad value throws). */
  public static PriorityClass of(JsonNode labels) {
    if (labels == null || !labels.isObject() || !labels.has(LABEL)) return null;
    JsonNode v = labels.get(LABEL);
    return parse(v.isTextual() ? v.asText() : v.toString());
  }

  /** As {@link #of}, null for a bad value too. */
  public static PriorityClass ofOrNull(JsonNode labels) {
    try {
      return of(labels);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** The label value as inspect shows it. */
  public String name() {
    return value == 100 ? "latency-critical" : value == 0 ? "best-effort" : Integer.toString(value);
  }
}
