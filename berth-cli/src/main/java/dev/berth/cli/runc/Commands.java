package dev.berth.cli.runc;

import dev.berth.cgroups.CgroupException;
import dev.berth.runtime.ContainerException;
import dev.berth.spec.SpecException;
import dev.berth.sys.SyscallException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import picocli.CommandLine;

/** Wires the subcommands and maps every error to one line on stderr (and --log) and exit 1. */
public final class Commands {
  private Commands() {}

  public static CommandLine commandLine(GlobalOptions global) {
    CommandLine cl = new CommandLine(global);
    Object[] subs = {new CreateCommand(), new StartCommand(), new RunCommand(), new StateCommand(),
        new KillCommand(), new DeleteCommand(), new ListCommand(), new ExecCommand(), new PsCommand(),
        new PauseCommand(), new ResumeCommand(), new UpdateCommand(), new FeaturesCommand(), new SpecCommand()};
    for (Object s : subs) cl.addSubcommand(s);
    // As runc: everything after the container id belongs to the command (exec id sh -c ..., ps id -ef).
    cl.getSubcommands().get("exec").setStopAtPositional(true);
    cl.getSubcommands().get("ps").setStopAtPositional(true);
    cl.setExecutionExceptionHandler((ex, cmd, parsed) -> fail(global, ex));
    cl.setParameterExceptionHandler((ex, args) -> {
      report(global, ex.getMessage());
      ex.getCommandLine().getErr().println("see '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help'");
      return 1;
    });
    return cl;
  }

  static int fail(GlobalOptions global, Exception ex) {
    String msg = switch (ex) {
      case SpecException e -> "config.json: " + e.getMessage();
      case ContainerException e -> e.getMessage();
      case CgroupException e -> "cgroup: " + e.getMessage();
      case SyscallException e -> e.getMessage();
      default -> ex.toString();
    };
    report(global, msg);
    if (global.debug) ex.printStackTrace();
    return 1;
  }

  static void report(GlobalOptions global, String msg) {
    System.err.println("berth-runc: " + msg);
    if (global.log == null) return;
    String line = "json".equals(global.logFormat)
        ? "{\"level\":\"error\",\"msg\":" + jsonString(msg) + ",\"time\":\"" + Instant.now() + "\"}\n"
        : "time=\"" + Instant.now() + "\" level=error msg=" + jsonString(msg) + "\n";
    try {
      Files.writeString(global.log, line, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException ignored) {
      // stderr has it
    }
  }

  static String jsonString(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        default -> {
          if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
          else b.append(c);
        }
      }
    }
    return b.append('"').toString();
  }

  static Path bundleOrCwd(Path bundle) {
    return bundle == null ? Path.of("").toAbsolutePath() : bundle;
  }
}
