package dev.berth.cli.runc;

import dev.berth.runtime.ops.*;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "pause", description = "Freeze every process of the container.")
public class PauseCommand implements Callable<Integer> {
  @ParentCommand GlobalOptions global;

  @Parameters(index = "0", paramLabel = "<container-id>")
  String id;

  @Override
  public Integer call() {
    Freeze.pause(global.context(), id);
    return 0;
  }
}
