package dev.berth.cli.runc;

import dev.berth.runtime.ops.*;
import java.util.List;

final class StateCommand implements RuncCommand {
  public String name() {
    return "state";
  }

  public String summary() {
    return "Print the container's state as JSON.";
  }

  public String arguments() {
    return "<container-id>";
  }

  public List<Flag> flags() {
    return List.of();
  }

  public int run(Global g, Args a) {
    System.out.println(dev.berth.spec.Json.pretty(StateOp.state(g.context(), a.id())));
    return 0;
  }
}
