package dev.berth.cli.runc;

import dev.berth.cgroups.CgroupException;
import dev.berth.runtime.ContainerException;
import dev.berth.spec.Json;
import dev.berth.spec.SpecException;
import dev.berth.sys.SyscallException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;

/**
 * berth-runc's command line: runc's global flags, then a subcommand with its flags and arguments.
 * Parsed by hand from each command's flag table (a reflective parser costs more start-up time than
 * runc takes to run a container); every error becomes one line on stderr (and --log), exit 1.
 */
public final class Runc {
  public static final String VERSION = "berth-runc 0.1.0 (runtime-spec 1.2.0)";

  static final List<RuncCommand> COMMANDS = List.of(new CreateCommand(), new StartCommand(), new RunCommand(),
      new StateCommand(), new KillCommand(), new DeleteCommand(), new ListCommand(), new ExecCommand(),
      new PsCommand(), new PauseCommand(), new ResumeCommand(), new UpdateCommand(), new EventsCommand(),
      new FeaturesCommand(),
      new SpecCommand());

  private Runc() {}

  public static int execute(String... argv) {
    Global global = null;
    try {
      Args g = Args.parse("berth-runc", Global.FLAGS, argv, 0, true);
      global = new Global(g);
      if (g.bool("--version")) {
        System.out.println(VERSION);
        return 0;
      }
      List<String> rest = g.positionals();
      if (rest.isEmpty() || g.bool("--help")) {
        usage(rest.isEmpty() && !g.bool("--help") ? System.err : System.out);
        return rest.isEmpty() && !g.bool("--help") ? 1 : 0;
      }
      RuncCommand cmd = find(rest.getFirst());
      String[] cmdArgs = rest.subList(1, rest.size()).toArray(String[]::new);
      List<Flag> flags = new java.util.ArrayList<>(cmd.flags());
      flags.add(Flag.bool("--help", "-h", "show help"));
      Args a = Args.parse(cmd.name(), flags, cmdArgs, 0, cmd.stopAtPositional());
      if (a.bool("--help")) {
        usage(cmd, System.out);
        return 0;
      }
      return cmd.run(global, a);
    } catch (Exception e) {
      return fail(global, e);
    }
  }

  static RuncCommand find(String name) {
    for (RuncCommand c : COMMANDS) {
      if (c.name().equals(name) || (name.equals("ls") && c.name().equals("list"))) return c;
    }
    throw new UsageException("unknown command \"" + name + "\" (see berth-runc --help)");
  }

  static void usage(PrintStream out) {
    out.println("usage: berth-runc [global flags] <command> [flags] [arguments]\n\n" + VERSION + "\n\ncommands:");
    for (RuncCommand c : COMMANDS) out.printf("  %-10s %s%n", c.name(), c.summary());
    out.println("\nglobal flags:");
    flags(out, Global.FLAGS);
  }

  static void usage(RuncCommand c, PrintStream out) {
    out.println("usage: berth-runc " + c.name() + " [flags] " + c.arguments() + "\n\n" + c.summary());
    if (!c.flags().isEmpty()) {
      out.println("\nflags:");
      flags(out, c.flags());
    }
  }

  private static void flags(PrintStream out, List<Flag> flags) {
    for (Flag f : flags) {
      String name = (f.alias() == null ? "" : f.alias() + ", ") + f.name() + (f.value() == null ? "" : " " + f.value());
      out.printf("  %-28s %s%n", name, f.help());
    }
  }

  static int fail(Global global, Exception ex) {
    String msg = switch (ex) {
      case SpecException e -> "config.json: " + e.getMessage();
      case ContainerException e -> e.getMessage();
      case CgroupException e -> "cgroup: " + e.getMessage();
      case SyscallException e -> e.getMessage();
      case UsageException e -> e.getMessage();
      case IOException e -> e.getMessage();
      default -> ex.toString();
    };
    report(global, msg);
    if (global != null && global.debug) ex.printStackTrace();
    return 1;
  }

  static void report(Global global, String msg) {
    System.err.println("berth-runc: " + msg);
    if (global == null || global.log == null) return;
    String line = "json".equals(global.logFormat)
        ? "{\"level\":\"error\",\"msg\":" + Json.quote(msg) + ",\"time\":\"" + Instant.now() + "\"}\n"
        : "time=\"" + Instant.now() + "\" level=error msg=" + Json.quote(msg) + "\n";
    try {
      Files.writeString(global.log, line, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException ignored) {
      // stderr has it
    }
  }

  static Path bundleOrCwd(Path bundle) {
    return bundle == null ? Path.of("").toAbsolutePath() : bundle;
  }
}
