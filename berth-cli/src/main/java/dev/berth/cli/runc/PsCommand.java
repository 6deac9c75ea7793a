package dev.berth.cli.runc;

import dev.berth.runtime.ops.Ps;
import java.util.ArrayList;
import java.util.List;

final class PsCommand implements RuncCommand {
  public String name() {
    return "ps";
  }

  public String summary() {
    return "Show the container's processes (ps options may follow the id).";
  }

  public String arguments() {
    return "<container-id> [ps options]";
  }

  public List<Flag> flags() {
    return List.of(Flag.value("--format", "-f", "table|json", "output format (default table)"));
  }

  public int run(Global g, Args a) throws Exception {
    List<Integer> pids = Ps.pids(g.context(), a.id());
    if (a.string("--format", "table").equals("json")) {
      System.out.println(pids);
      return 0;
    }
    List<String> psArgs = a.positionals().subList(1, a.positionals().size());
    List<String> cmd = new ArrayList<>(List.of("ps"));
    cmd.addAll(psArgs.isEmpty() ? List.of("-ef") : psArgs);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    List<String> lines = new String(p.getInputStream().readAllBytes()).lines().toList();
    p.waitFor();
    if (lines.isEmpty()) return 0;
    System.out.println(lines.getFirst());
    int pidCol = List.of(lines.getFirst().trim().split("\\s+")).indexOf("PID");
    for (String l : lines.subList(1, lines.size())) {
      String[] f = l.trim().split("\\s+");
      if (pidCol >= 0 && pidCol < f.length && pids.contains(Integer.parseInt(f[pidCol]))) System.out.println(l);
    }
    return 0;
  }
}
