package dev.berth.engine.containers;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One thread, one inotify instance (WatchService) over the runtime state directories of running
 * containers: when the monitor renames the {@code exit} file into one, the engine is told (no
 * polling of containers). Every few seconds it also runs the engine's sweep, a safety net for a
 * missed event or a monitor killed together with its keeper.
 */
final class ExitWatcher implements Closeable {
  static final long SWEEP_SECONDS = 5;

  private final WatchService ws;
  private final Consumer<String> exitSeen;
  private final Runnable sweep;
  private final Map<String, WatchKey> keys = new ConcurrentHashMap<>();
  private final Map<WatchKey, String> ids = new ConcurrentHashMap<>();
  private Thread thread;

  ExitWatcher(Consumer<String> exitSeen, Runnable sweep) throws IOException {
    this.ws = FileSystems.getDefault().newWatchService();
    this.exitSeen = exitSeen;
    this.sweep = sweep;
  }

  void start() {
    thread = Thread.ofPlatform().daemon().name("berthd-exits").start(this::loop);
  }

  void watch(String id, Path dir) {
    try {
      WatchKey k = dir.register(ws, StandardWatchEventKinds.ENTRY_CREATE);
      WatchKey old = keys.put(id, k);
      if (old != null && old != k) {
        ids.remove(old);
        old.cancel();
      }
      ids.put(k, id);
    } catch (IOException e) {
      // the sweep covers it
    }
  }

  void unwatch(String id) {
    WatchKey k = keys.remove(id);
    if (k != null) {
      ids.remove(k);
      k.cancel();
    }
  }

  private void loop() {
    long nextSweep = System.nanoTime() + TimeUnit.SECONDS.toNanos(SWEEP_SECONDS);
    for (;;) {
      WatchKey k;
      try {
        k = ws.poll(Math.max(1, TimeUnit.NANOSECONDS.toMillis(nextSweep - System.nanoTime())), TimeUnit.MILLISECONDS);
      } catch (InterruptedException | ClosedWatchServiceException e) {
        return;
      }
      if (k != null) {
        String id = ids.get(k);
        boolean exit = false;
        for (WatchEvent<?> ev : k.pollEvents()) {
          if (ev.context() instanceof Path p && p.toString().equals("exit")) exit = true;
          if (ev.kind() == StandardWatchEventKinds.OVERFLOW) exit = true;
        }
        k.reset();
        if (exit && id != null) run(() -> exitSeen.accept(id));
      }
      if (System.nanoTime() - nextSweep >= 0) {
        run(sweep);
        nextSweep = System.nanoTime() + TimeUnit.SECONDS.toNanos(SWEEP_SECONDS);
      }
    }
  }

  private static void run(Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      ContainerEngine.log.println("berthd: exit handling: " + e);
    }
  }

  @Override
  public void close() {
    try {
      ws.close();
    } catch (IOException ignored) {
      // closing
    }
  }
}
