package dev.berth.runtime.ops;

import dev.berth.runtime.ContainerException;
import dev.berth.runtime.RuntimeContext;
import dev.berth.runtime.convert.DebugPlan;
import dev.berth.runtime.convert.LaunchOptions;
import dev.berth.runtime.convert.SeccompConverter;
import dev.berth.runtime.convert.SpecConverter;
import dev.berth.runtime.plan.Plan;
import dev.berth.runtime.state.Container;
import dev.berth.runtime.state.Status;
import dev.berth.spec.Linux;
import dev.berth.spec.Process;
import dev.berth.spec.Spec;
import dev.berth.spec.SpecValidator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** exec: a new process in a running container's namespaces and cgroup. */
public final class Exec {
  private Exec() {}

  public record Request(String id, Process process, Path pidFile, Path consoleSocket, boolean detach,
      int preserveFds) {}

  /** The container's saved config (for defaults such as env, cwd, caps, seccomp). */
  public static Spec config(RuntimeContext ctx, String id) {
    Container c = Lifecycle.load(ctx, id);
    Spec spec = Hooks.config(c);
    if (spec == null) throw ContainerException.wrongState(id, "missing its config", "exec in");
    return spec;
  }

  /**
   * A debug session ({@code berth debug}): the process runs in a mount namespace of its own rooted
   * at {@code toolsRoot} (a host path: the tools image's mounted snapshot), with the container's
   * root filesystem ({@code containerRoot}, a host path; null: the runtime's rootfs of the
   * container) at {@code mountAt}; every other namespace and the cgroups are the container's.
   */
  public record Debug(Path toolsRoot, Path containerRoot, String mountAt) {}

  public static Plan prepare(RuntimeContext ctx, Request r) {
    return prepare(ctx, r, null);
  }

  /** As {@link #prepare(RuntimeContext, Request)}; with {@code debug}, a debug session's plan (DebugPlan). */
  public static Plan prepare(RuntimeContext ctx, Request r, Debug debug) {
    Container c = Lifecycle.load(ctx, r.id());
    Status s = Lifecycle.status(ctx, c);
    if (s != Status.RUNNING && s != Status.CREATED) throw ContainerException.wrongState(r.id(), s, "exec in");
    SpecValidator.validateProcess(r.process(), "process");
    if (r.process().terminal() && r.detach() && r.consoleSocket() == null) {
      throw ContainerException.invalid("exec with a terminal in detached mode needs --console-socket");
    }
    Spec spec = Hooks.config(c);
    List<String> types = new ArrayList<>();
    for (Linux.Namespace ns : spec.linux().namespaces()) {
      if (ns.type().equals("time")) continue; // a time namespace is entered by its children only
      types.add(ns.type());
    }
    var seccomp = SeccompConverter.compile(spec.linux().seccomp(), ctx.store().root().resolve(".seccomp-cache"));
    List<Path> cgroups = c.record().cgroupsPath() == null ? List.of() : ctx.cgroups(c).paths();
    LaunchOptions o = new LaunchOptions("exec", r.id(), c.dir(), Path.of(c.record().bundle()), abs(r.pidFile()),
        abs(r.consoleSocket()), false, r.preserveFds(), null, r.detach(), ctx.logFile(), ctx.logFormat());
    if (debug != null) {
      if (r.detach()) throw ContainerException.invalid("a debug session cannot be detached");
      Path croot = debug.containerRoot() != null ? debug.containerRoot() : Path.of(c.record().rootfs());
      try {
        return DebugPlan.of(r.process(), o, c.pid().getAsInt(), types, cgroups, seccomp.bpf(), seccomp.flags(),
            debug.toolsRoot(), croot, debug.mountAt());
      } catch (IllegalArgumentException e) {
        throw ContainerException.invalid(e.getMessage());
      }
    }
    return SpecConverter.execPlan(r.process(), o, c.pid().getAsInt(), types, cgroups, seccomp.bpf(), seccomp.flags());
  }

  private static Path abs(Path p) {
    return p == null ? null : p.toAbsolutePath().normalize();
  }
}
