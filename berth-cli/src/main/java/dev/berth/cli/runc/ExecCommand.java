package dev.berth.cli.runc;

import dev.berth.runtime.Launcher;
import dev.berth.runtime.RuntimeContext;
import dev.berth.runtime.ops.Exec;
import dev.berth.spec.Node;
import dev.berth.spec.Process;
import dev.berth.spec.Spec;
import dev.berth.spec.SpecException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "exec", description = "Run a new process inside a running container.")
public class ExecCommand implements Callable<Integer> {
  @ParentCommand GlobalOptions global;

  @Option(names = {"--process", "-p"}, description = "process.json (a runtime-spec process object)")
  Path process;

  @Option(names = {"--tty", "-t"}) boolean tty;
  @Option(names = {"--detach", "-d"}) boolean detach;
  @Option(names = "--pid-file") Path pidFile;
  @Option(names = "--console-socket") Path consoleSocket;
  @Option(names = "--cwd") String cwd;
  @Option(names = {"--env", "-e"}) List<String> env = new ArrayList<>();
  @Option(names = {"--user", "-u"}, description = "uid[:gid]") String user;
  @Option(names = {"--additional-gids", "-g"}) List<Long> additionalGids = new ArrayList<>();
  @Option(names = {"--cap", "-c"}) List<String> caps = new ArrayList<>();
  @Option(names = "--no-new-privs") boolean noNewPrivs;
  @Option(names = "--apparmor") String apparmor;
  @Option(names = "--process-label") String label;
  @Option(names = "--preserve-fds", defaultValue = "0") int preserveFds;
  @Option(names = "--cgroup", description = "accepted") String cgroup;
  @Option(names = "--ignore-paused", description = "accepted") boolean ignorePaused;

  @Parameters(index = "0", paramLabel = "<container-id>")
  String id;

  @Parameters(index = "1..*", paramLabel = "<command>")
  List<String> command = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    RuntimeContext ctx = global.context();
    Process p;
    if (process != null) {
      p = Process.of(new Node(Spec.readTree(Files.readAllBytes(process)), "process"));
    } else {
      if (command.isEmpty()) throw new SpecException("", "exec needs a command or --process");
      Process base = Exec.config(ctx, id).process();
      List<String> envs = new ArrayList<>(base.env());
      envs.addAll(env);
      Process.User u = base.user();
      if (user != null) {
        String[] ug = user.split(":", 2);
        try {
          u = new Process.User(Long.parseLong(ug[0]), ug.length > 1 ? Long.parseLong(ug[1]) : 0, u.umask(), additionalGids);
        } catch (NumberFormatException e) {
          throw new SpecException("--user", "expected uid[:gid], got \"" + user + "\"");
        }
      } else if (!additionalGids.isEmpty()) {
        u = new Process.User(u.uid(), u.gid(), u.umask(), additionalGids);
      }
      Process.Capabilities c = base.capabilities();
      if (!caps.isEmpty()) c = new Process.Capabilities(plus(c.bounding(), caps), plus(c.effective(), caps),
          plus(c.inheritable(), caps), plus(c.permitted(), caps), plus(c.ambient(), caps));
      p = new Process(tty, null, cwd != null ? cwd : base.cwd(), envs, command, base.rlimits(),
          apparmor != null ? apparmor : base.apparmorProfile(), c, noNewPrivs || base.noNewPrivileges(),
          null, label != null ? label : base.selinuxLabel(), u);
    }
    var plan = Exec.prepare(ctx, new Exec.Request(id, p, pidFile, consoleSocket, detach, preserveFds));
    Launcher.handOff(ctx.launcher(), plan);
    return 0;
  }

  private static List<String> plus(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    for (String s : b) if (!out.contains(s)) out.add(s);
    return out;
  }
}
