package dev.berth.cli.runc;

import dev.berth.runtime.ops.*;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "state", description = "Print the container's state as JSON.")
public class StateCommand implements Callable<Integer> {
  @ParentCommand GlobalOptions global;

  @Parameters(index = "0", paramLabel = "<container-id>")
  String id;

  @Override
  public Integer call() {
    System.out.println(StateOp.pretty(StateOp.state(global.context(), id)));
    return 0;
  }
}
