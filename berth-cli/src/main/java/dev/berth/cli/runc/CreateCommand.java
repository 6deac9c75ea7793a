package dev.berth.cli.runc;

import dev.berth.runtime.Launcher;
import dev.berth.runtime.RuntimeContext;
import dev.berth.runtime.ops.Create;
import dev.berth.runtime.plan.Plan;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "create", description = "Create a container; its process waits for 'start'.")
public class CreateCommand implements Callable<Integer> {
  @ParentCommand GlobalOptions global;

  @Option(names = {"--bundle", "-b"}, description = "bundle directory (default: current directory)")
  Path bundle;

  @Option(names = "--console-socket", description = "unix socket that receives the pty master")
  Path consoleSocket;

  @Option(names = "--pid-file", description = "write the container's pid here")
  Path pidFile;

  @Option(names = "--no-pivot", description = "use chroot instead of pivot_root")
  boolean noPivot;

  @Option(names = "--no-new-keyring", description = "accepted")
  boolean noNewKeyring;

  @Option(names = "--preserve-fds", description = "pass N extra fds (3..3+N-1)", defaultValue = "0")
  int preserveFds;

  @Parameters(index = "0", paramLabel = "<container-id>")
  String id;

  String action() {
    return "create";
  }

  boolean detach() {
    return true;
  }

  @Override
  public Integer call() {
    RuntimeContext ctx = global.context();
    Plan plan = Create.prepare(ctx, new Create.Request(id, Commands.bundleOrCwd(bundle), action(), pidFile,
        consoleSocket, noPivot, preserveFds, detach()));
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
