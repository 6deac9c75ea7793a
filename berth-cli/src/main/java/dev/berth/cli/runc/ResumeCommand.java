package dev.berth.cli.runc;

import dev.berth.runtime.ops.*;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "resume", description = "Thaw a paused container.")
public class ResumeCommand implements Callable<Integer> {
  @ParentCommand GlobalOptions global;

  @Parameters(index = "0", paramLabel = "<container-id>")
  String id;

  @Override
  public Integer call() {
    Freeze.resume(global.context(), id);
    return 0;
  }
}
