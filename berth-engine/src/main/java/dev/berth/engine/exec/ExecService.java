package dev.berth.engine.exec;

import dev.berth.engine.spec.CapabilityOptions;
import dev.berth.runtime.ContainerException;
import dev.berth.runtime.ops.Exec;
import dev.berth.runtime.ops.ExecProcess;
import dev.berth.runtime.state.Container;
import dev.berth.spec.Process;
import java.io.OutputStream;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * docker exec: instances created against a running container, started once (attached or
 * detached), resized, inspected; dropped with their container ({@link #forget}). Errors are
 * {@link ContainerException}s whose kind is the HTTP status (NOT_FOUND 404, WRONG_STATE 409,
 * INVALID 400), with dockerd's messages.
 */
public final class ExecService {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final ExecTargets targets;
  private final Map<String, Instance> instances = new ConcurrentHashMap<>();

  public ExecService(ExecTargets targets) {
    this.targets = targets;
  }

  /** POST /containers/{id}/exec's body. consoleHeight/Width: 0 when not given. */
  public record CreateRequest(List<String> cmd, List<String> env, String user, String workingDir, boolean tty,
      boolean privileged, boolean attachStdin, boolean attachStdout, boolean attachStderr, String detachKeys,
      int consoleHeight, int consoleWidth) {}

  /**
   * What a debug session ({@link #createDebug}) needs besides an exec: its tools root, made when
   * the session starts ({@link #prepare}) and removed once it ended ({@link #cleanup}).
   */
  public interface DebugRoot {
    /** The tools image as named. */
    String image();

    /** The tools image's environment (PATH first if it had none). */
    List<String> env();

    /** The tools image's Entrypoint + Cmd, or /bin/sh. */
    List<String> defaultCmd();

    /** Makes the session's root (the tools image's snapshot) and names the container's root. */
    Exec.Debug prepare();

    /** Removes what {@link #prepare} made; harmless when nothing was made. */
    void cleanup();

    /** The snapshot's name while one exists, else null. */
    String snapshot();
  }

  private static final class Instance {
    final String id;
    final ExecTargets.Target target;
    final CreateRequest req;
    DebugRoot debug;
    boolean running;
    boolean started;
    Integer exitCode;
    long pid;
    int rows;
    int cols;
    ExecProcess process;

    Instance(String id, ExecTargets.Target target, CreateRequest req) {
      this.id = id;
      this.target = target;
      this.req = req;
      this.rows = req.consoleHeight();
      this.cols = req.consoleWidth();
    }
  }

  public String create(String containerRef, CreateRequest req) {
    if (req.cmd() == null || req.cmd().isEmpty()) {
      throw new ContainerException(ContainerException.Kind.INVALID, "No exec command specified");
    }
    for (String e : req.env() == null ? List.<String>of() : req.env()) {
      if (e.isEmpty() || e.startsWith("=")) throw new ContainerException(ContainerException.Kind.INVALID, "invalid environment variable: " + e);
    }
    ExecTargets.Target t = active(containerRef);
    String id = HexFormat.of().formatHex(bytes(32));
    instances.put(id, new Instance(id, t, req));
    targets.onRemoved(t.id(), () -> instances.remove(id));
    targets.event(t.id(), "exec_create: " + String.join(" ", req.cmd()), java.util.Map.of("execID", id));
    return id;
  }

  /**
   * A debug session in container {@code containerRef} ({@code POST /containers/{id}/debug}): an
   * exec instance, started with {@link #start} as any other, whose process has the tools image
   * ({@code root}) as its root filesystem, the container's at /container, and the container's
   * other namespaces and cgroups. Runs as root with the container's capabilities plus
   * CAP_SYS_PTRACE (strace, gdb). {@code req.cmd()} empty or null: the tools image's command.
   * Once it has ended the snapshot is removed and the instance goes after its first inspect (the
   * docker CLI reads the exit code there) or 30 s.
   */
  public String createDebug(String containerRef, CreateRequest req, java.util.function.Function<String, DebugRoot> roots) {
    for (String e : req.env() == null ? List.<String>of() : req.env()) {
      if (e.isEmpty() || e.startsWith("=")) throw new ContainerException(ContainerException.Kind.INVALID, "invalid environment variable: " + e);
    }
    ExecTargets.Target t = active(containerRef);
    DebugRoot root = roots.apply(t.id());
    List<String> cmd = req.cmd() == null || req.cmd().isEmpty() ? root.defaultCmd() : req.cmd();
    CreateRequest r = new CreateRequest(cmd, req.env(), "0:0", "/", req.tty(), false, req.attachStdin(),
        req.attachStdout(), req.attachStderr(), req.detachKeys(), req.consoleHeight(), req.consoleWidth());
    String id = HexFormat.of().formatHex(bytes(32));
    Instance i = new Instance(id, t, r);
    i.debug = root;
    instances.put(id, i);
    targets.onRemoved(t.id(), () -> instances.remove(id));
    targets.event(t.id(), "exec_create: " + String.join(" ", cmd), java.util.Map.of("execID", id, "debugImage", root.image()));
    return id;
  }

  /** A debug session's end: its root goes, and its instance soon after. */
  private void debugEnded(Instance i) {
    i.debug.cleanup();
    java.util.concurrent.CompletableFuture.delayedExecutor(30, java.util.concurrent.TimeUnit.SECONDS)
        .execute(() -> instances.remove(i.id, i));
  }

  private ExecTargets.Target active(String ref) {
    ExecTargets.Target t = targets.resolve(ref);
    switch (t.state()) {
      case "running" -> { }
      case "paused" -> throw new ContainerException(ContainerException.Kind.WRONG_STATE,
          "Container " + t.id() + " is paused, unpause the container before exec");
      case "restarting" -> throw new ContainerException(ContainerException.Kind.WRONG_STATE,
          "Container " + t.id() + " is restarting, wait until the container is running");
      default -> throw new ContainerException(ContainerException.Kind.WRONG_STATE, "container " + t.id() + " is not running");
    }
    return t;
  }

  private Instance get(String execId) {
    Instance i = execId == null ? null : instances.get(execId);
    if (i == null) throw new ContainerException(ContainerException.Kind.NOT_FOUND, "No such exec instance: " + execId);
    return i;
  }

  /**
   * A started exec: {@link #failure} is dockerd's text when the process never ran (the caller
   * writes it to the client); {@link #exit} completes once the exit code is recorded and all output
   * has been written.
   */
  public record Started(ExecProcess process, String failure, CompletableFuture<Integer> exit, boolean tty) {
    public OutputStream stdin() {
      return process == null ? OutputStream.nullOutputStream() : process.stdin();
    }
  }

  /** Checks that {@code execId} can be started (exists, never started, container running): before a hijack. */
  public void checkStartable(String execId) {
    Instance i = get(execId);
    synchronized (i) {
      if (i.running) throw new ContainerException(ContainerException.Kind.WRONG_STATE, "Error: Exec command " + execId + " is already running");
      if (i.started) throw new ContainerException(ContainerException.Kind.WRONG_STATE, "exec command " + execId + " has already run");
    }
    active(i.target.id());
  }

  /**
   * Starts the process. Attached: output to {@code out}/{@code err} (with a terminal all to out),
   * stdin from {@link Started#stdin} if the exec was created with AttachStdin.
   */
  public Started start(String execId, boolean detach, OutputStream out, OutputStream err) {
    Instance i = get(execId);
    synchronized (i) {
      if (i.running) throw new ContainerException(ContainerException.Kind.WRONG_STATE, "Error: Exec command " + execId + " is already running");
      if (i.started) throw new ContainerException(ContainerException.Kind.WRONG_STATE, "exec command " + execId + " has already run");
      i.started = true;
      ExecProcess p;
      try {
        active(i.target.id());
        if (i.debug != null && detach) throw new ContainerException(ContainerException.Kind.INVALID, "a debug session cannot be detached");
        Process proc = i.debug != null ? debugProcess(i) : process(i);
        boolean attach = !detach;
        Exec.Debug d = i.debug != null ? i.debug.prepare() : null;
        p = ExecProcess.start(targets.runtime(), i.target.runtimeId(), proc, attach,
            attach && i.req.attachStdout() ? out : null, attach && i.req.attachStderr() ? err : null, d);
      } catch (ContainerException e) {
        if (i.debug != null) debugEnded(i);
        if (e.kind() == ContainerException.Kind.INVALID || e.kind() == ContainerException.Kind.SYSTEM) {
          i.exitCode = 126;
          execEvent(i, "exec_start: " + String.join(" ", i.req.cmd()), java.util.Map.of());
          execEvent(i, "exec_die", java.util.Map.of("exitCode", "126"));
          return new Started(null, e.getMessage(), CompletableFuture.completedFuture(126), i.req.tty());
        }
        i.started = false;
        throw e;
      } catch (RuntimeException e) {
        if (i.debug != null) debugEnded(i);
        throw e;
      }
      i.process = p;
      execEvent(i, "exec_start: " + String.join(" ", i.req.cmd()), java.util.Map.of());
      if (p.failure() != null) {
        i.exitCode = p.onExit().join();
        if (i.debug != null) debugEnded(i);
        execEvent(i, "exec_die", java.util.Map.of("exitCode", Integer.toString(i.exitCode)));
        return new Started(p, p.failure(), CompletableFuture.completedFuture(i.exitCode), i.req.tty());
      }
      if (!i.req.attachStdin() || detach) {
        try {
          p.stdin().close();
        } catch (java.io.IOException ignored) {
          // nothing was written
        }
      }
      i.running = true;
      i.pid = p.pid();
      if (i.rows > 0 || i.cols > 0) p.resize(i.rows, i.cols);
      CompletableFuture<Integer> exit = p.onExit().thenApply(code -> {
        synchronized (i) {
          i.exitCode = code;
          i.running = false;
        }
        if (i.debug != null) debugEnded(i);
        execEvent(i, "exec_die", java.util.Map.of("exitCode", Integer.toString(code)));
        return code;
      });
      return new Started(p, null, exit, i.req.tty());
    }
  }

  /** dockerd's exec events (for every exec, a health probe's too: published here only). */
  private void execEvent(Instance i, String action, java.util.Map<String, String> extra) {
    java.util.Map<String, String> a = new java.util.HashMap<>(extra);
    a.put("execID", i.id);
    targets.event(i.target.id(), action, a);
  }

  /** POST /exec/{id}/resize: applied now if the process runs, else when it starts. */
  public void resize(String execId, int height, int width) {
    Instance i = get(execId);
    synchronized (i) {
      i.rows = height;
      i.cols = width;
      if (i.running && i.process != null) i.process.resize(height, width);
    }
  }

  public ExecConfig inspect(String execId) {
    Instance i = get(execId);
    synchronized (i) {
      // a debug session's record goes at the first inspect after its end (the docker CLI's read of the exit code)
      if (i.debug != null && i.started && !i.running && i.exitCode != null) instances.remove(i.id, i);
      List<String> cmd = i.req.cmd();
      return new ExecConfig(i.id, i.target.id(), i.running, i.exitCode, i.running ? i.pid : 0,
          new ExecConfig.ProcessConfig(cmd.get(0), List.copyOf(cmd.subList(1, cmd.size())), i.req.tty(),
              i.req.user() == null ? "" : i.req.user(), i.req.privileged()),
          i.req.attachStdin(), i.req.attachStdout(), i.req.attachStderr(),
          i.req.detachKeys() == null ? "" : i.req.detachKeys(), false);
    }
  }

  /** The ids of a container's exec instances (its inspect's ExecIDs). */
  public List<String> ids(String containerId) {
    List<String> out = new ArrayList<>();
    for (Instance i : instances.values()) if (i.target.id().equals(containerId)) out.add(i.id);
    return out;
  }

  /** Drops one instance (a health probe's once it has ended: probes would otherwise pile up until the container goes). */
  public void remove(String execId) {
    if (execId != null) instances.remove(execId);
  }

  /** The container is gone (removed): its exec instances go too. */
  public void forget(String containerId) {
    instances.values().removeIf(i -> i.target.id().equals(containerId));
  }

  /** The OCI process of an exec: the container's, with the exec's command, env, cwd, user, terminal. */
  private Process process(Instance i) {
    CreateRequest r = i.req;
    String rid = i.target.runtimeId();
    Process base = Exec.config(targets.runtime(), rid).process();
    Map<String, String> env = new LinkedHashMap<>();
    for (String e : base.env()) put(env, e);
    if (r.tty() && !env.containsKey("TERM")) env.put("TERM", "xterm");
    if (r.env() != null) for (String e : r.env()) put(env, e);
    List<String> envList = new ArrayList<>();
    env.forEach((k, v) -> envList.add(v == null ? k : k + "=" + v));
    String cwd = r.workingDir() == null || r.workingDir().isEmpty() ? base.cwd() : r.workingDir();
    if (!cwd.startsWith("/")) throw new ContainerException(ContainerException.Kind.INVALID, "the working directory '" + cwd + "' is invalid, it needs to be an absolute path");
    Process.User user = base.user();
    if (r.user() != null && !r.user().isEmpty()) {
      Container c = targets.runtime().store().load(rid);
      Path root = c.pid().isPresent() ? Path.of("/proc/" + c.pid().getAsInt() + "/root") : Path.of(c.record().rootfs());
      user = ExecUser.resolve(r.user(), root, base.user());
    }
    Process.Capabilities caps = base.capabilities();
    if (r.privileged()) {
      List<String> all = CapabilityOptions.all();
      caps = new Process.Capabilities(all, all, List.of(), all, List.of());
    }
    // the size the client has (ConsoleSize, or a resize before the start) is set before the process runs
    Process.ConsoleSize size = r.tty() && (i.rows > 0 || i.cols > 0) ? new Process.ConsoleSize(i.rows, i.cols) : null;
    return new Process(r.tty(), size, cwd, envList, r.cmd(), base.rlimits(), base.apparmorProfile(), caps,
        base.noNewPrivileges(), base.oomScoreAdj(), base.selinuxLabel(), user);
  }

  /** A debug session's process: root, cwd /, the tools image's env (then TERM, then the request's), the container's capabilities plus CAP_SYS_PTRACE. */
  private Process debugProcess(Instance i) {
    CreateRequest r = i.req;
    Process base = Exec.config(targets.runtime(), i.target.runtimeId()).process();
    Map<String, String> env = new LinkedHashMap<>();
    for (String e : i.debug.env()) put(env, e);
    if (r.tty() && !env.containsKey("TERM")) env.put("TERM", "xterm");
    if (r.env() != null) for (String e : r.env()) put(env, e);
    List<String> envList = new ArrayList<>();
    env.forEach((k, v) -> envList.add(v == null ? k : k + "=" + v));
    Process.Capabilities c = base.capabilities();
    Process.Capabilities caps = new Process.Capabilities(plus(c.bounding()), plus(c.effective()), c.inheritable(),
        plus(c.permitted()), c.ambient());
    Process.ConsoleSize size = r.tty() && (i.rows > 0 || i.cols > 0) ? new Process.ConsoleSize(i.rows, i.cols) : null;
    return new Process(r.tty(), size, "/", envList, r.cmd(), base.rlimits(), base.apparmorProfile(), caps,
        base.noNewPrivileges(), base.oomScoreAdj(), base.selinuxLabel(), new Process.User(0, 0, null, List.of()));
  }

  private static List<String> plus(List<String> caps) {
    if (caps == null) return List.of("CAP_SYS_PTRACE");
    if (caps.contains("CAP_SYS_PTRACE")) return caps;
    List<String> out = new ArrayList<>(caps);
    out.add("CAP_SYS_PTRACE");
    return out;
  }

  private static void put(Map<String, String> env, String e) {
    int eq = e.indexOf('=');
    if (eq < 0) env.put(e, null);
    else env.put(e.substring(0, eq), e.substring(eq + 1));
  }

  private static byte[] bytes(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  /**
   * A failure of an exec operation as the engine's {@link dev.berth.engine.containers.EngineException}
   * (the API's statuses come from its kind): runtime errors translated, anything else rethrown.
   */
  public static dev.berth.engine.containers.EngineException failure(RuntimeException e) {
    if (e instanceof dev.berth.engine.containers.EngineException ee) return ee;
    if (e instanceof dev.berth.runtime.ContainerException ce) {
      var k = switch (ce.kind()) {
        case NOT_FOUND -> dev.berth.engine.containers.EngineException.Kind.NOT_FOUND;
        case WRONG_STATE, EXISTS -> dev.berth.engine.containers.EngineException.Kind.CONFLICT;
        case INVALID -> dev.berth.engine.containers.EngineException.Kind.INVALID;
        case SYSTEM -> dev.berth.engine.containers.EngineException.Kind.SYSTEM;
      };
      return new dev.berth.engine.containers.EngineException(k, ce.getMessage());
    }
    throw e;
  }
}
