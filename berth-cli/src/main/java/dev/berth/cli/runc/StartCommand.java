package dev.berth.cli.runc;

import dev.berth.runtime.ops.*;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "start", description = "Start a created container.")
public class StartCommand implements Callable<Integer> {
  @ParentCommand GlobalOptions global;

  @Parameters(index = "0", paramLabel = "<container-id>")
  String id;

  @Override
  public Integer call() {
    Start.start(global.context(), id);
    return 0;
  }
}
