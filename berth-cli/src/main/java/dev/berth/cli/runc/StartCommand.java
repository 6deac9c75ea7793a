package dev.berth.cli.runc;

import dev.berth.runtime.ops.*;
import java.util.List;

final class StartCommand implements RuncCommand {
  public String name() {
    return "start";
  }

  public String summary() {
    return "Start a created container.";
  }

  public String arguments() {
    return "<container-id>";
  }

  public List<Flag> flags() {
    return List.of();
  }

  public int run(Global g, Args a) {
    Start.start(g.context(), a.id());
    return 0;
  }
}
