package dev.berth.cli.runc;

import dev.berth.runtime.RuntimeContext;
import dev.berth.runtime.state.StateStore;
import java.nio.file.Path;
import java.util.List;

/** runc's global flags; those berth has no use for are accepted and ignored. */
public final class Global {
  static final List<Flag> FLAGS = List.of(
      Flag.value("--root", null, "dir", "state directory (default " + StateStore.DEFAULT_ROOT + ")"),
      Flag.value("--log", null, "file", "also write errors to this file"),
      Flag.value("--log-format", null, "text|json", "format of --log (default text)"),
      Flag.bool("--debug", null, "stack traces with errors"),
      Flag.bool("--systemd-cgroup", null, "accepted: berth drives cgroupfs directly"),
      Flag.value("--rootless", null, "true|false|auto", "accepted"),
      Flag.value("--criu", null, "path", "accepted: checkpoint/restore is not supported"),
      Flag.bool("--help", "-h", "show help"),
      Flag.bool("--version", "-v", "print the version"));

  public final Path root;
  /** --root as typed (null: not given), and whether other global flags were given. */
  final String rootArg;
  final boolean onlyRoot;
  public final Path log;
  public final String logFormat;
  public final boolean debug;

  Global(Args a) {
    root = Path.of(a.string("--root", StateStore.DEFAULT_ROOT));
    rootArg = a.string("--root");
    onlyRoot = java.util.Set.of("--root").containsAll(a.given());
    log = a.path("--log") == null ? null : a.path("--log").toAbsolutePath();
    logFormat = a.string("--log-format", "text");
    debug = a.bool("--debug");
  }

  public RuntimeContext context() {
    String launcher = System.getProperty("berth.launcher", "berth-native/target/berth-launch");
    return new RuntimeContext(new StateStore(root), Path.of(launcher), log, logFormat, debug);
  }
}
