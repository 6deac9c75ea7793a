package dev.berth.cli.runc;

import dev.berth.runtime.Launcher;
import dev.berth.runtime.RuntimeContext;
import dev.berth.runtime.ops.Exec;
import dev.berth.spec.Node;
import dev.berth.spec.Process;
import dev.berth.spec.Spec;
import dev.berth.spec.SpecValidator;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

/** exec: a new process in a running container; defaults come from the container's config. */
final class ExecCommand implements RuncCommand {
  public String name() {
    return "exec";
  }

  public String summary() {
    return "Run a new process inside a running container.";
  }

  public String arguments() {
    return "<container-id> [command [args...]]";
  }

  public List<Flag> flags() {
    return List.of(
        Flag.value("--process", "-p", "file", "process.json (a runtime-spec process object)"),
        Flag.bool("--tty", "-t", "allocate a pty"),
        Flag.bool("--detach", "-d", "return once the process runs"),
        Flag.value("--pid-file", null, "path", "write the process's pid here"),
        Flag.value("--console-socket", null, "path", "unix socket that receives the pty master"),
        Flag.value("--cwd", null, "dir", "working directory"),
        Flag.value("--env", "-e", "KEY=VALUE", "add an environment variable (repeatable)"),
        Flag.value("--user", "-u", "uid[:gid]", "run as this user"),
        Flag.value("--additional-gids", "-g", "gid", "supplementary group (repeatable)"),
        Flag.value("--cap", "-c", "CAP_X", "add a capability (repeatable)"),
        Flag.bool("--no-new-privs", null, "set no_new_privs"),
        Flag.value("--apparmor", null, "profile", "AppArmor profile"),
        Flag.value("--process-label", null, "label", "SELinux label"),
        Flag.value("--preserve-fds", null, "n", "pass n extra fds"),
        Flag.value("--cgroup", null, "path", "accepted"),
        Flag.bool("--ignore-paused", null, "accepted"));
  }

  public int run(Global g, Args a) throws Exception {
    RuntimeContext ctx = g.context();
    String id = a.id();
    Process p;
    byte[] processJson = null;
    if (a.string("--process") != null) {
      processJson = Files.readAllBytes(a.path("--process"));
      p = Process.of(new Node(Spec.readTree(processJson), "process"));
    } else {
      List<String> command = a.positionals().subList(1, a.positionals().size());
      if (command.isEmpty()) throw new UsageException("exec: needs a command or --process");
      p = fromFlags(Exec.config(ctx, id).process(), a, command);
    }
    var request = new Exec.Request(id, p, a.path("--pid-file"), a.path("--console-socket"), a.bool("--detach"),
        a.intValue("--preserve-fds", 0));
    var plan = Exec.prepare(ctx, request);
    // the launcher's warm exec (verbs.c) sent its key: it parsed this very command line
    if (processJson != null) dev.berth.runtime.ops.ExecWarm.store(ctx, dev.berth.runtime.ops.ExecWarm.keyFromLauncher(), request, processJson);
    Launcher.handOff(ctx.launcher(), plan);
    return 0;
  }

  /** As runc: the container's process, with the flags' overrides. */
  static Process fromFlags(Process base, Args a, List<String> command) {
    List<String> env = new ArrayList<>(base.env());
    env.addAll(a.strings("--env"));
    List<Long> gids = new ArrayList<>();
    for (String s : a.strings("--additional-gids")) gids.add(number(s, "--additional-gids"));
    Process.User u = base.user();
    String user = a.string("--user");
    if (user != null) {
      String[] ug = user.split(":", 2);
      u = new Process.User(number(ug[0], "--user"), ug.length > 1 ? number(ug[1], "--user") : 0, u.umask(), gids);
    } else if (!gids.isEmpty()) {
      u = new Process.User(u.uid(), u.gid(), u.umask(), gids);
    }
    Process.Capabilities c = base.capabilities();
    List<String> caps = a.strings("--cap");
    if (!caps.isEmpty()) {
      c = new Process.Capabilities(plus(c.bounding(), caps), plus(c.effective(), caps), plus(c.inheritable(), caps),
          plus(c.permitted(), caps), plus(c.ambient(), caps));
    }
    return new Process(a.bool("--tty"), null, a.string("--cwd", base.cwd()), env, command, base.rlimits(),
        a.string("--apparmor", base.apparmorProfile()), c, a.bool("--no-new-privs") || base.noNewPrivileges(), null,
        a.string("--process-label", base.selinuxLabel()), u);
  }

  /** A user or group id from a flag: a number in 0..2^32-2. */
  private static long number(String s, String flag) {
    long id;
    try {
      id = Long.parseLong(s);
    } catch (NumberFormatException e) {
      throw new UsageException(flag + ": expected a number, got \"" + s + "\"");
    }
    if (id < 0 || id > SpecValidator.MAX_ID) {
      throw new UsageException(flag + ": id out of range: " + s + " (0.." + SpecValidator.MAX_ID + ")");
    }
    return id;
  }

  private static List<String> plus(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    for (String s : b) if (!out.contains(s)) out.add(s);
    return out;
  }
}
