package dev.berth.cli.runc;

import dev.berth.runtime.ops.Ps;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "ps", description = "Show the container's processes.")
public class PsCommand implements Callable<Integer> {
  @ParentCommand GlobalOptions global;

  @Option(names = {"--format", "-f"}, description = "table or json", defaultValue = "table")
  String format;

  @Parameters(index = "0", paramLabel = "<container-id>")
  String id;

  @Parameters(index = "1..*", paramLabel = "<ps options>")
  List<String> psArgs = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    List<Integer> pids = Ps.pids(global.context(), id);
    if (format.equals("json")) {
      System.out.println(pids);
      return 0;
    }
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
