package dev.berth.engine.containers;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * A container's output as {@code docker logs} and {@code docker attach} see it, read from the
 * json-file log its monitor writes (and rotates): {@link JsonLog.Follower} across the files.
 */
final class LogStreams {
  private LogStreams() {}

  static void logs(Container c, Instant since, Instant until, int tail, boolean follow, ContainerEngine.Sink sink,
      BooleanSupplier open) throws IOException {
    Container.Run r = c.run();
    boolean following = follow && c.running() && r != null && !r.exited().isDone() && (until == null || until.isAfter(Instant.now()));
    ArrayDeque<JsonLog.Entry> first = new ArrayDeque<>();
    try (JsonLog.Follower reader = JsonLog.Follower.fromOldest(c.logPath())) {
      for (List<JsonLog.Entry> b = reader.poll(); !b.isEmpty(); b = reader.poll()) {
        for (JsonLog.Entry e : b) {
          if (since != null && e.instant().isBefore(since)) continue;
          if (until != null && !e.instant().isBefore(until)) continue;
          first.addLast(e);
          if (tail >= 0 && first.size() > tail) first.removeFirst();
        }
      }
      for (JsonLog.Entry e : first) if (!sink.write(e)) return;
      if (following) follow(reader, r.exited(), e -> (until == null || e.instant().isBefore(until)) && sink.write(e), open);
    }
  }

  /**
   * Attach's output. {@code replay} (logs=1): the whole log first. {@code stream}: then the live
   * output of the current run, or (stopped) of the next start, until that run ended and its output
   * is all read.
   */
  static void attach(Container c, boolean replay, boolean stream, ContainerEngine.Sink sink, BooleanSupplier open)
      throws IOException {
    Container.Run r;
    CompletableFuture<Container.Run> next;
    synchronized (c) {
      r = c.running() && c.run != null && !c.run.exited().isDone() ? c.run : null;
      next = c.started;
    }
    // opened now: a removal (AutoRemove) cannot take the log away from us later
    try (JsonLog.Follower reader = replay ? JsonLog.Follower.fromOldest(c.logPath()) : JsonLog.Follower.at(c.logPath(), null)) {
      if (replay) {
        for (List<JsonLog.Entry> b = reader.poll(); !b.isEmpty(); b = reader.poll()) {
          for (JsonLog.Entry e : b) if (!sink.write(e)) return;
        }
      }
      if (!stream) return;
      if (r == null) {
        while (r == null) {
          if (!open.getAsBoolean() || c.removed.isDone()) return;
          try {
            r = next.get(200, TimeUnit.MILLISECONDS);
          } catch (TimeoutException e) {
            // again
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          } catch (java.util.concurrent.ExecutionException e) {
            return;
          }
        }
        // stopped when we opened: the new run's output begins where the log ended then, unless a
        // start came between our look and the open (then from the run's own start)
        if (!replay) reader.reposition(r.logPosition());
      }
      follow(reader, r.exited(), sink, open);
    }
  }

  static void follow(JsonLog.Follower reader, CompletableFuture<Integer> end, ContainerEngine.Sink sink, BooleanSupplier open)
      throws IOException {
    long idle = 5;
    for (;;) {
      boolean ended = end.isDone(); // before the read: the monitor writes the whole log before the exit file
      List<JsonLog.Entry> b = reader.poll();
      for (JsonLog.Entry e : b) if (!sink.write(e)) return;
      if (!b.isEmpty()) {
        idle = 5;
        continue;
      }
      if (ended || !open.getAsBoolean()) return;
      try {
        end.get(idle, TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        idle = Math.min(idle * 2, 100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (java.util.concurrent.ExecutionException e) {
        // ended
      }
    }
  }
}
