package dev.berth.cli.runc;

import dev.berth.runtime.ContainerException;
import dev.berth.runtime.ops.Delete;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "delete", description = "Remove a stopped container (any container with --force).")
public class DeleteCommand implements Callable<Integer> {
  @ParentCommand GlobalOptions global;

  @Option(names = {"--force", "-f"}, description = "kill it first if it still runs")
  boolean force;

  @Parameters(index = "0", paramLabel = "<container-id>")
  String id;

  @Override
  public Integer call() {
    try {
      Delete.delete(global.context(), id, force);
    } catch (ContainerException e) {
      // As runc: deleting an id that is already gone with --force succeeds.
      if (!(force && e.kind() == ContainerException.Kind.NOT_FOUND)) throw e;
    }
    return 0;
  }
}
