package dev.berth.cli.runc;

import java.util.ArrayList;
import java.util.List;

/** run: create and start; wait for the container unless --detach (then a monitor keeps its exit status). */
final class RunCommand extends CreateCommand {
  static final List<Flag> FLAGS;

  static {
    List<Flag> f = new ArrayList<>(CreateCommand.FLAGS);
    f.add(Flag.bool("--detach", "-d", "return once it runs; a monitor keeps its exit status"));
    f.add(Flag.bool("--keep", null, "accepted"));
    FLAGS = List.copyOf(f);
  }

  @Override
  public String name() {
    return "run";
  }

  @Override
  public String summary() {
    return "Create and start a container; wait for it unless --detach.";
  }

  @Override
  public List<Flag> flags() {
    return FLAGS;
  }

  @Override
  boolean detach(Args a) {
    return a.bool("--detach");
  }
}
