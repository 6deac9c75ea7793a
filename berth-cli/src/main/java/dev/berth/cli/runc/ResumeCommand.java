package dev.berth.cli.runc;

import dev.berth.runtime.ops.*;
import java.util.List;

final class ResumeCommand implements RuncCommand {
  public String name() {
    return "resume";
  }

  public String summary() {
    return "Thaw a paused container.";
  }

  public String arguments() {
    return "<container-id>";
  }

  public List<Flag> flags() {
    return List.of();
  }

  public int run(Global g, Args a) {
    Freeze.resume(g.context(), a.id());
    return 0;
  }
}
