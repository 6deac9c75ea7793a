package dev.berth.cli.runc;

import dev.berth.runtime.ops.*;
import java.util.List;

final class PauseCommand implements RuncCommand {
  public String name() {
    return "pause";
  }

  public String summary() {
    return "Freeze every process of the container.";
  }

  public String arguments() {
    return "<container-id>";
  }

  public List<Flag> flags() {
    return List.of();
  }

  public int run(Global g, Args a) {
    Freeze.pause(g.context(), a.id());
    return 0;
  }
}
