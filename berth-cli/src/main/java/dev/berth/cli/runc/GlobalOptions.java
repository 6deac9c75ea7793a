package dev.berth.cli.runc;

import dev.berth.runtime.RuntimeContext;
import dev.berth.runtime.state.StateStore;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** runc's global flags; the ones berth has no use for are accepted and ignored. */
@Command(name = "berth-runc", mixinStandardHelpOptions = true, version = "berth-runc 0.1.0 (runtime-spec 1.2.0)",
    description = "berth's OCI runtime, runc-compatible.")
public final class GlobalOptions {
  @Option(names = "--root", description = "state directory (default ${DEFAULT-VALUE})", defaultValue = StateStore.DEFAULT_ROOT)
  public Path root;

  @Option(names = "--log", description = "also write errors to this file")
  public Path log;

  @Option(names = "--log-format", description = "text or json", defaultValue = "text")
  public String logFormat;

  @Option(names = "--debug", description = "verbose errors")
  public boolean debug;

  @Option(names = "--systemd-cgroup", description = "accepted; berth drives cgroupfs directly")
  public boolean systemdCgroup;

  @Option(names = "--rootless", arity = "0..1", description = "accepted (true|false|auto)")
  public String rootless;

  @Option(names = "--criu", description = "accepted; checkpoint is not supported")
  public String criu;

  public RuntimeContext context() {
    String launcher = System.getProperty("berth.launcher", "berth-native/target/berth-launch");
    return new RuntimeContext(new StateStore(root), Path.of(launcher), log == null ? null : log.toAbsolutePath(), logFormat);
  }
}
