package dev.berth.cli.runc;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "run", description = "Create and start a container; wait for it unless --detach.")
public class RunCommand extends CreateCommand {
  @Option(names = {"--detach", "-d"}, description = "return once it runs; a monitor keeps its exit status")
  boolean detachFlag;

  @Option(names = "--keep", description = "accepted: berth keeps nothing after a foreground run")
  boolean keep;

  @Override
  String action() {
    return "run";
  }

  @Override
  boolean detach() {
    return detachFlag;
  }
}
