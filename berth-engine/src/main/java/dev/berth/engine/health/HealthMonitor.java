package dev.berth.engine.health;

import dev.berth.engine.containers.Container;
import dev.berth.engine.containers.ContainerEngine;
import dev.berth.engine.containers.EngineException;
import dev.berth.engine.events.EventBus;
import dev.berth.engine.exec.ExecService;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Health checks as dockerd runs them (daemon/health.go): for each running, unpaused container with
 * a CMD or CMD-SHELL check, one virtual thread waits the interval (the start interval while
 * starting within the start period), runs the probe inside the container as an exec (the
 * container's user and working directory, no terminal; output kept up to 4 KiB), kills it when it
 * exceeds the timeout (a failure: "Health check exceeded timeout (1s)"), and records the result
 * in the container's {@link HealthState}; a change of status is published as {@code
 * health_status: healthy} (and the probe's exec_create / exec_start / exec_die, as dockerd).
 *
 * <p>It follows the engine's events: {@code start} resets the state to starting and starts
 * probing, {@code die}, {@code pause} and {@code destroy} stop it, {@code unpause} resumes it;
 * at construction every running container (live restore) starts again from starting.
 */
public final class HealthMonitor implements AutoCloseable {
  private final ContainerEngine engine;
  private final ExecService exec;
  private final Map<String, Probe> probes = new ConcurrentHashMap<>();
  private final AutoCloseable subscription;

  public HealthMonitor(ContainerEngine engine, ExecService exec) {
    this.engine = engine;
    this.exec = exec;
    this.subscription = engine.events().subscribe(this::onEvent);
    for (Container c : engine.list()) {
      if (c.status().equals("running")) begin(c, true);
    }
  }

  private void onEvent(EventBus.Event e) {
    if (!e.type().equals("container")) return;
    switch (e.action()) {
      case "start" -> find(e.actorId(), c -> begin(c, true));
      case "unpause" -> find(e.actorId(), c -> begin(c, false));
      case "die", "pause", "destroy" -> end(e.actorId());
      default -> { }
    }
  }

  private void find(String id, java.util.function.Consumer<Container> f) {
    try {
      f.accept(engine.get(id));
    } catch (EngineException ignored) {
      // removed meanwhile
    }
  }

  /** Starts probing {@code c} (reset: a new run, status back to starting). */
  private void begin(Container c, boolean reset) {
    HealthConfig cfg = HealthConfig.of(c.config().get("Healthcheck"));
    if (cfg == null) return;
    HealthState h = reset || c.health() == null ? c.resetHealth() : c.health();
    Probe p = new Probe(c, cfg, h);
    Probe old = probes.put(c.id, p);
    if (old != null) old.stop();
    p.thread = Thread.ofVirtual().name("berthd-health-" + c.id.substring(0, 12)).start(p::loop);
  }

  private void end(String id) {
    Probe p = probes.remove(id);
    if (p != null) p.stop();
  }

  /** Whether a container's probes run (tests). */
  public boolean probing(String id) { return probes.containsKey(id); }

  @Override
  public void close() {
    try {
      subscription.close();
    } catch (Exception ignored) {
      // nothing to release
    }
    for (String id : new ArrayList<>(probes.keySet())) end(id);
  }

  private final class Probe {
    final Container c;
    final HealthConfig cfg;
    final HealthState h;
    volatile boolean stopped;
    volatile Thread thread;
    volatile dev.berth.runtime.ops.ExecProcess running;

    Probe(Container c, HealthConfig cfg, HealthState h) {
      this.c = c;
      this.cfg = cfg;
      this.h = h;
    }

    void stop() {
      stopped = true;
      Thread t = thread;
      if (t != null) t.interrupt();
      var p = running;
      if (p != null) kill(p);
    }

    /** dockerd's getInterval: the start interval while starting within the start period. */
    Duration interval(Instant started) {
      Duration elapsed = Duration.between(started, Instant.now());
      if (elapsed.compareTo(cfg.startPeriod()) >= 0) return cfg.interval();
      Duration left = cfg.startPeriod().minus(elapsed);
      if (left.compareTo(cfg.interval()) < 0) return left;
      return h.status().equals(HealthState.STARTING) ? cfg.startInterval() : cfg.interval();
    }

    void loop() {
      Instant started = c.startedAt();
      try {
        while (!stopped) {
          Thread.sleep(interval(started));
          if (stopped) return;
          HealthState.Result r = runOnce();
          if (stopped || probes.get(c.id) != this) return;
          String changed = h.record(r, started, cfg);
          if (changed != null) engine.event(c, "health_status: " + changed, Map.of());
        }
      } catch (InterruptedException e) {
        // stopped
      } catch (RuntimeException e) {
        System.err.println("berthd: health check of " + c.id + ": " + e);
      }
    }

    HealthState.Result runOnce() throws InterruptedException {
      Instant start = Instant.now();
      List<String> cmd = new ArrayList<>();
      c.config().path("Shell").forEach(x -> cmd.add(x.asText()));
      List<String> argv = cfg.command(cmd);
      String user = c.config().path("User").asText("");
      String wd = c.config().path("WorkingDir").asText("");
      String execId;
      try {
        execId = exec.create(c.id, new ExecService.CreateRequest(argv, List.of(), user, wd, false, false, false, true, true,
            "", 0, 0));
      } catch (RuntimeException e) {
        return new HealthState.Result(start, Instant.now(), -1, e.getMessage());
      }
      // its exec_create/exec_start/exec_die events are ExecService's, as every exec's
      try {
        Limited out = new Limited();
        ExecService.Started s;
        try {
          s = exec.start(execId, false, out, out);
        } catch (RuntimeException e) {
          return new HealthState.Result(start, Instant.now(), -1, e.getMessage());
        }
        if (s.failure() != null) {
          int code = s.exit().join();
          return new HealthState.Result(start, Instant.now(), code, s.failure());
        }
        running = s.process();
        if (stopped) kill(s.process());
        int code;
        try {
          code = s.exit().get(cfg.timeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
          kill(s.process());
          int killed = 137;
          try {
            killed = s.exit().get(10, TimeUnit.SECONDS); // what it started may hold the output open longer: not waited for
          } catch (TimeoutException | ExecutionException e2) {
            // left to finish alone
          }
          String o = out.text();
          String t = HealthConfig.go(cfg.timeout());
          return new HealthState.Result(start, Instant.now(), -1,
              o.isEmpty() ? "Health check exceeded timeout (" + t + ")" : "Health check exceeded timeout (" + t + "): " + o);
        } catch (ExecutionException e) {
          code = -1;
        } catch (InterruptedException e) {
          kill(s.process());
          throw e;
        } finally {
          running = null;
        }
        return new HealthState.Result(start, Instant.now(), code, out.text());
      } finally {
        exec.remove(execId);
      }
    }
  }

  /** SIGKILL to the probe's process itself (the launcher waiting for it cannot forward a SIGKILL). */
  static void kill(dev.berth.runtime.ops.ExecProcess p) {
    if (p.pid() > 0 && ProcessHandle.of(p.pid()).map(ProcessHandle::destroyForcibly).orElse(false)) return;
    p.signal(9);
  }

  /** dockerd's limitedBuffer: the first 4 KiB, "..." appended when more came. */
  static final class Limited extends OutputStream {
    private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
    private boolean truncated;

    @Override
    public synchronized void write(int b) {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
      int keep = Math.min(HealthState.MAX_OUTPUT - buf.size(), len);
      if (keep > 0) buf.write(b, off, keep);
      if (keep < len) truncated = true;
    }

    synchronized String text() {
      return buf.toString(StandardCharsets.UTF_8) + (truncated ? "..." : "");
    }
  }
}
