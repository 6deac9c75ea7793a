package dev.berth.cli.runc;

import dev.berth.runtime.ops.Kill;
import java.util.List;

final class KillCommand implements RuncCommand {
  public String name() {
    return "kill";
  }

  public String summary() {
    return "Send a signal (default SIGTERM) to the container's init.";
  }

  public String arguments() {
    return "<container-id> [signal]";
  }

  public List<Flag> flags() {
    return List.of(Flag.bool("--all", "-a", "signal every process in the container"));
  }

  public int run(Global g, Args a) {
    String signal = a.positionals().size() > 1 ? a.positionals().get(1) : "SIGTERM";
    Kill.kill(g.context(), a.id(), signal, a.bool("--all"));
    return 0;
  }
}
