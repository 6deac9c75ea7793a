package dev.berth.cli.runc;

import dev.berth.runtime.Launcher;
import dev.berth.runtime.RuntimeContext;
import dev.berth.runtime.ops.Create;
import dev.berth.runtime.ops.WarmPath;
import dev.berth.runtime.plan.Plan;
import java.util.List;

/** create: everything up to the hand-over to the launcher; the process waits for start. */
class CreateCommand implements RuncCommand {
  static final List<Flag> FLAGS = List.of(
      Flag.value("--bundle", "-b", "dir", "bundle directory (default: current directory)"),
      Flag.value("--console-socket", null, "path", "unix socket that receives the pty master"),
      Flag.value("--pid-file", null, "path", "write the container's pid here"),
      Flag.bool("--no-pivot", null, "use chroot instead of pivot_root"),
      Flag.bool("--no-new-keyring", null, "accepted"),
      Flag.value("--preserve-fds", null, "n", "pass n extra fds (3..3+n-1) to the process"));

  public String name() {
    return "create";
  }

  public String summary() {
    return "Create a container; its process waits for 'start'.";
  }

  public String arguments() {
    return "<container-id>";
  }

  public List<Flag> flags() {
    return FLAGS;
  }

  boolean detach(Args a) {
    return true;
  }

  public int run(Global g, Args a) {
    RuntimeContext ctx = g.context();
    String id = a.id();
    if (a.positionals().size() > 1) {
      throw new UsageException(name() + ": expected only <container-id>, got also " + a.positionals().subList(1,
          a.positionals().size()) + " (flags go before the id)");
    }
    Plan plan = Create.prepare(ctx, new Create.Request(id, Runc.bundleOrCwd(a.path("--bundle")), name(),
        a.path("--pid-file"), a.path("--console-socket"), a.bool("--no-pivot"), a.intValue("--preserve-fds", 0),
        detach(a), WarmPath.keyFromLauncher()));
    if (Boolean.getBoolean("berth.aot.training")) {
      Create.undo(ctx, id, ctx.cgroups(ctx.store().load(id)));
      return 0;
    }
    try {
      Launcher.handOff(ctx.launcher(), plan);
    } catch (RuntimeException e) {
      Create.undo(ctx, id, ctx.cgroups(ctx.store().load(id)));
      throw e;
    }
    return 0;
  }
}
