package dev.berth.engine.containers;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Restart policies as dockerd's restartmanager: {@code no}, {@code on-failure[:N]}, {@code always},
 * {@code unless-stopped}; the delay before a restart starts at 100 ms and doubles with each restart
 * up to one minute, and goes back to 100 ms when the run before lasted at least 10 s. One entry
 * per container, in memory (a new berthd starts each back-off afresh, as dockerd): its back-off,
 * whether a user's stop/kill cancelled it (until the next manual start), and the pending restart.
 * The count itself is the container's RestartCount (persisted).
 */
final class RestartManager {
  static final long FIRST_MS = 100;
  static final long MAX_MS = 60_000;
  static final Duration RESET_AFTER = Duration.ofSeconds(10);

  /** Names a policy may have (empty: none, as before API 1.44). */
  static final List<String> POLICIES = List.of("", "no", "always", "unless-stopped", "on-failure");

  /** dockerd's back-off: the delay before the next restart, given the last and how long the container ran. */
  static long nextDelay(long lastMs, Duration ran) {
    long t = ran.compareTo(RESET_AFTER) >= 0 ? 0 : lastMs;
    if (t == 0) t = FIRST_MS;
    else if (t < MAX_MS) t *= 2;
    return Math.min(t, MAX_MS);
  }

  /**
   * Whether a container that exited with {@code exitCode} is restarted: {@code always}, {@code
   * unless-stopped} unless the user stopped it, {@code on-failure} for a non-zero code while the
   * count is below the maximum (0: no maximum).
   */
  static boolean shouldRestart(String policy, int max, int restartCount, int exitCode, boolean manuallyStopped) {
    return switch (policy) {
      case "always" -> true;
      case "unless-stopped" -> !manuallyStopped;
      case "on-failure" -> exitCode != 0 && (max <= 0 || restartCount < max);
      default -> false;
    };
  }

  /** dockerd's validateRestartPolicy: null if fine, else the message (400). */
  static String validate(JsonNode p) {
    if (p == null || p.isNull() || p.isMissingNode()) return null;
    if (!p.isObject()) return "invalid restart policy: must be an object";
    String name = p.path("Name").asText("");
    int max = p.path("MaximumRetryCount").asInt(0);
    if (!POLICIES.contains(name)) {
      return "invalid restart policy: unknown policy '" + name + "'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'";
    }
    if (name.equals("on-failure")) return max < 0 ? "invalid restart policy: maximum retry count cannot be negative" : null;
    if (!name.isEmpty() && max != 0) {
      return "invalid restart policy: maximum retry count can only be used with 'on-failure'" + (max < 0 ? " and cannot be negative" : "");
    }
    return null;
  }

  static boolean isNone(JsonNode hostConfig) {
    String n = hostConfig.path("RestartPolicy").path("Name").asText("");
    return n.isEmpty() || n.equals("no");
  }

  private static final class Entry {
    long timeoutMs;
    boolean cancelled;
    ScheduledFuture<?> pending;
  }

  private final Map<String, Entry> entries = new ConcurrentHashMap<>();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "berthd-restarts");
    t.setDaemon(true);
    return t;
  });

  private Entry entry(String id) { return entries.computeIfAbsent(id, k -> new Entry()); }

  /** The decision at an exit of container {@code id}: delay in ms, or -1 for no restart. */
  synchronized long decide(String id, JsonNode hostConfig, int restartCount, int exitCode, boolean manuallyStopped, Duration ran) {
    if (isNone(hostConfig)) return -1;
    Entry e = entry(id);
    if (e.cancelled) return -1;
    e.timeoutMs = nextDelay(e.timeoutMs, ran);
    String policy = hostConfig.path("RestartPolicy").path("Name").asText("");
    int max = hostConfig.path("RestartPolicy").path("MaximumRetryCount").asInt(0);
    return shouldRestart(policy, max, restartCount, exitCode, manuallyStopped) ? e.timeoutMs : -1;
  }

  /** Runs {@code restart} after {@code delayMs} unless cancelled meanwhile. */
  synchronized void schedule(String id, long delayMs, Runnable restart) {
    Entry e = entry(id);
    if (e.pending != null) e.pending.cancel(false);
    e.pending = timer.schedule(() -> {
      synchronized (this) {
        if (e.cancelled || entries.get(id) != e) return;
        e.pending = null;
      }
      Thread.ofVirtual().name("berthd-restart-" + id.substring(0, Math.min(12, id.length()))).start(restart);
    }, delayMs, TimeUnit.MILLISECONDS);
  }

  /** A user's stop, kill or remove: no restart until the next manual start; true if one was pending. */
  synchronized boolean cancel(String id) {
    Entry e = entry(id);
    e.cancelled = true;
    boolean pending = e.pending != null && !e.pending.isDone();
    if (e.pending != null) e.pending.cancel(false);
    e.pending = null;
    return pending;
  }

  synchronized boolean cancelled(String id) {
    Entry e = entries.get(id);
    return e != null && e.cancelled;
  }

  /** A manual start (docker start / restart, berthd's start-up): a fresh manager, as dockerd's ResetRestartManager. */
  synchronized void reset(String id) {
    Entry e = entries.remove(id);
    if (e != null && e.pending != null) e.pending.cancel(false);
  }

  /** The back-off the next restart would start from (tests). */
  synchronized long lastDelay(String id) {
    Entry e = entries.get(id);
    return e == null ? 0 : e.timeoutMs;
  }

  void close() { timer.shutdownNow(); }
}
