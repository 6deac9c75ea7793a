package dev.berth.engine.health;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Config.Healthcheck as dockerd reads it: {@code Test} (["NONE"], ["CMD", arg...], ["CMD-SHELL",
 * "cmd"]), and Interval, Timeout, StartPeriod, StartInterval in nanoseconds (0: the default), and
 * Retries (0: 3). The effective values here have the defaults applied.
 */
public record HealthConfig(List<String> test, Duration interval, Duration timeout, Duration startPeriod,
    Duration startInterval, int retries) {
  public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(30);
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
  public static final Duration DEFAULT_START_INTERVAL = Duration.ofSeconds(5);
  public static final int DEFAULT_RETRIES = 3;
  /** moby's container.MinimumDuration. */
  static final long MINIMUM_NANOS = 1_000_000;

  /** The container's check, or null when it has none (no Healthcheck, empty Test, NONE, an unknown kind). */
  public static HealthConfig of(JsonNode hc) {
    if (hc == null || !hc.isObject()) return null;
    List<String> test = new ArrayList<>();
    for (JsonNode t : hc.path("Test")) test.add(t.asText());
    if (test.isEmpty()) return null;
    String kind = test.get(0);
    if (!kind.equals("CMD") && !kind.equals("CMD-SHELL")) return null; // NONE, or unknown (dockerd warns and runs none)
    if (test.size() < 2) return null;
    return new HealthConfig(List.copyOf(test), nanos(hc, "Interval", DEFAULT_INTERVAL), nanos(hc, "Timeout", DEFAULT_TIMEOUT),
        nanos(hc, "StartPeriod", Duration.ZERO), nanos(hc, "StartInterval", DEFAULT_START_INTERVAL),
        hc.path("Retries").asInt(0) <= 0 ? DEFAULT_RETRIES : hc.path("Retries").asInt());
  }

  private static Duration nanos(JsonNode hc, String f, Duration dflt) {
    long n = hc.path(f).asLong(0);
    return n == 0 ? dflt : Duration.ofNanos(n);
  }

  /** The probe's argv: CMD's arguments, or CMD-SHELL's command under {@code shell} (Config.Shell, else /bin/sh -c). */
  public List<String> command(List<String> shell) {
    List<String> out = new ArrayList<>();
    if (test.get(0).equals("CMD-SHELL")) out.addAll(shell == null || shell.isEmpty() ? List.of("/bin/sh", "-c") : shell);
    out.addAll(test.subList(1, test.size()));
    return out;
  }

  /**
   * dockerd's create merges the image's HEALTHCHECK into the user's: no Healthcheck takes the
   * image's whole; otherwise each unset field (empty Test, zero durations and retries) is the image's.
   */
  public static void merge(ObjectNode config, JsonNode image) {
    JsonNode img = image == null ? null : image.get("Healthcheck");
    if (img == null || !img.isObject()) return;
    JsonNode user = config.get("Healthcheck");
    if (user == null || user.isNull()) {
      config.set("Healthcheck", img.deepCopy());
      return;
    }
    if (!user.isObject()) return;
    ObjectNode u = (ObjectNode) user;
    if (!u.path("Test").isArray() || u.path("Test").isEmpty()) {
      if (img.has("Test")) u.set("Test", img.get("Test").deepCopy());
    }
    for (String f : new String[] {"Interval", "Timeout", "StartPeriod", "StartInterval", "Retries"}) {
      if (u.path(f).asLong(0) == 0 && img.path(f).asLong(0) != 0) u.set(f, img.get(f).deepCopy());
    }
  }

  /** dockerd's validateHealthCheck at create: null if fine, else its message. */
  public static String validate(JsonNode hc) {
    if (hc == null || hc.isNull()) return null;
    if (!hc.isObject()) return "Healthcheck: must be an object";
    if (!hc.path("Test").isMissingNode() && !hc.path("Test").isNull() && !hc.path("Test").isArray()) return "Healthcheck: Test must be an array of strings";
    for (String f : new String[] {"Interval", "Timeout", "StartPeriod", "StartInterval"}) {
      long n = hc.path(f).asLong(0);
      if (n != 0 && n < MINIMUM_NANOS) return f + " in Healthcheck cannot be less than " + go(Duration.ofNanos(MINIMUM_NANOS));
    }
    if (hc.path("Retries").asInt(0) < 0) return "Retries in Healthcheck cannot be negative";
    return null;
  }

  /** Go's time.Duration.String(): "1s", "1.5s", "500ms", "1m30s", "1h0m0s". */
  public static String go(Duration d) {
    long n = d.toNanos();
    if (n == 0) return "0s";
    String sign = n < 0 ? "-" : "";
    n = Math.abs(n);
    if (n < 1_000) return sign + n + "ns";
    if (n < 1_000_000) return sign + frac(n, 1_000) + "µs";
    if (n < 1_000_000_000) return sign + frac(n, 1_000_000) + "ms";
    long h = n / 3_600_000_000_000L;
    long m = n / 60_000_000_000L % 60;
    long rest = n % 60_000_000_000L;
    StringBuilder b = new StringBuilder(sign);
    if (h > 0) b.append(h).append('h');
    if (h > 0 || m > 0) b.append(m).append('m');
    b.append(frac(rest, 1_000_000_000)).append('s');
    return b.toString();
  }

  private static String frac(long n, long unit) {
    return BigDecimal.valueOf(n).divide(BigDecimal.valueOf(unit)).stripTrailingZeros().toPlainString();
  }
}
