package dev.berth.cli.runc;

import dev.berth.runtime.ops.Kill;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "kill", description = "Send a signal (default SIGTERM) to the container's init.")
public class KillCommand implements Callable<Integer> {
  @ParentCommand GlobalOptions global;

  @Option(names = {"--all", "-a"}, description = "signal every process in the container")
  boolean all;

  @Parameters(index = "0", paramLabel = "<container-id>")
  String id;

  @Parameters(index = "1", paramLabel = "<signal>", defaultValue = "SIGTERM")
  String signal;

  @Override
  public Integer call() {
    Kill.kill(global.context(), id, signal, all);
    return 0;
  }
}
