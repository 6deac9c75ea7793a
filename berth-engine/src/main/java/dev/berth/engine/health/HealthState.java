package dev.berth.engine.health;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * State.Health of one container, dockerd's state machine (daemon/health.go): {@code starting} at
 * each start (the failing streak cleared, the log kept); a probe with exit code 0 makes it {@code
 * healthy} and clears the streak; any other result adds to the streak — except while still
 * starting within the start period — and {@code retries} failures in a row make it {@code
 * unhealthy}. The log keeps the last 5 results.
 */
public final class HealthState {
  public static final String STARTING = "starting", HEALTHY = "healthy", UNHEALTHY = "unhealthy", NONE = "none";
  public static final int MAX_LOG = 5;
  /** Longest probe output kept (bytes); longer output is cut and "..." appended, as dockerd. */
  public static final int MAX_OUTPUT = 4096;

  private static final ObjectMapper M = new ObjectMapper();

  /** One probe's result; exit code -1 for a probe that timed out or could not run. */
  public record Result(Instant start, Instant end, int exitCode, String output) {}

  private String status = "";
  private int failingStreak;
  private final Deque<Result> log = new ArrayDeque<>();

  /** A (re)start: starting, streak 0, the log kept. */
  public synchronized void reset() {
    status = STARTING;
    failingStreak = 0;
  }

  /** The status; "unhealthy" before the first reset, as dockerd's Health.Status(). */
  public synchronized String status() { return status.isEmpty() ? UNHEALTHY : status; }

  public synchronized int failingStreak() { return failingStreak; }

  public synchronized int logSize() { return log.size(); }

  /**
   * Records one result of a container started at {@code startedAt} under {@code cfg}; returns the
   * new status if it changed, else null.
   */
  public synchronized String record(Result r, Instant startedAt, HealthConfig cfg) {
    String old = status();
    if (log.size() >= MAX_LOG) log.removeFirst();
    log.addLast(r);
    if (r.exitCode() == 0) {
      failingStreak = 0;
      status = HEALTHY;
    } else {
      boolean count = true;
      if (status().equals(STARTING)) {
        Duration sinceStart = Duration.between(startedAt, r.start());
        if (sinceStart.compareTo(cfg.startPeriod()) < 0) count = false;
      }
      if (count) {
        failingStreak++;
        if (failingStreak >= cfg.retries()) status = UNHEALTHY;
      }
    }
    String now = status();
    return now.equals(old) ? null : now;
  }

  /** "health: starting", "healthy", "unhealthy": what ps shows in parentheses. */
  public synchronized String psText() {
    return status().equals(STARTING) ? "health: starting" : status();
  }

  /** Inspect's State.Health. */
  public synchronized ObjectNode toJson() {
    ObjectNode o = M.createObjectNode();
    o.put("Status", status());
    o.put("FailingStreak", failingStreak);
    ArrayNode a = o.putArray("Log");
    for (Result r : log) {
      ObjectNode e = a.addObject();
      e.put("Start", goTime(r.start()));
      e.put("End", goTime(r.end()));
      e.put("ExitCode", r.exitCode());
      e.put("Output", r.output());
    }
    return o;
  }

  public static HealthState fromJson(JsonNode o) {
    HealthState h = new HealthState();
    if (o == null || !o.isObject()) return h;
    h.status = o.path("Status").asText("");
    h.failingStreak = o.path("FailingStreak").asInt(0);
    for (JsonNode e : o.path("Log")) {
      try {
        h.log.addLast(new Result(Instant.parse(e.path("Start").asText()), Instant.parse(e.path("End").asText()),
            e.path("ExitCode").asInt(), e.path("Output").asText("")));
      } catch (RuntimeException ignored) {
        // a bad entry: dropped
      }
    }
    while (h.log.size() > MAX_LOG) h.log.removeFirst();
    return h;
  }

  /** RFC 3339 with nanoseconds and a zone, as Go prints a time (Instant's form is accepted by the CLI). */
  private static String goTime(Instant t) { return t.toString(); }
}
