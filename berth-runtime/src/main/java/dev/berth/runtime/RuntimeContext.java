package dev.berth.runtime;

import dev.berth.cgroups.CgroupManager;
import dev.berth.cgroups.CgroupManagers;
import dev.berth.runtime.state.Container;
import dev.berth.runtime.state.StateStore;
import dev.berth.spec.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * What every operation needs: the state root, the launcher binary and the global --log settings.
 *
 * @param launcher berth-native's berth-launch (from -Dberth.launcher)
 * @param debug runc's --debug: notices (not errors) also go to stderr
 */
public record RuntimeContext(StateStore store, Path launcher, Path logFile, String logFormat, boolean debug) {

  public RuntimeContext(StateStore store, Path launcher, Path logFile, String logFormat) {
    this(store, launcher, logFile, logFormat, false);
  }

  /**
   * The cgroup parent of containers whose config names no {@code linux.cgroupsPath}
   * ({@code /<parent>/<id>}): {@code $BERTH_CGROUP_PARENT}, else {@code berth}. One cgroup name. The
   * warm path (berth-native fast.c) reads the same variable and keys its templates by it; the
   * start-up sweep and delete's pruning of the emptied parent work under it. Tests use their own.
   */
  public String cgroupParent() {
    return CGROUP_PARENT;
  }

  private static final String CGROUP_PARENT = cgroupParentFromEnv();

  static String cgroupParentFromEnv() {
    String p = System.getenv("BERTH_CGROUP_PARENT");
    return p == null || p.isEmpty() ? dev.berth.cgroups.CgroupPath.DEFAULT_PARENT : p;
  }

  public CgroupManager cgroups(Container c) {
    return CgroupManagers.open(c.record().cgroupsPath(), c.id());
  }

  /**
   * Something the user may want to know that is not an error of this command: a line in --log
   * (level=warning) and, with --debug, on stderr; nothing on stdout, which under containerd is the
   * container's.
   */
  public void notice(String msg) {
    if (debug) System.err.println("berth-runc: " + msg);
    if (logFile == null) return;
    String line = "json".equals(logFormat)
        ? "{\"level\":\"warning\",\"msg\":" + Json.quote(msg) + ",\"time\":\"" + Instant.now() + "\"}\n"
        : "time=\"" + Instant.now() + "\" level=warning msg=" + Json.quote(msg) + "\n";
    try {
      Files.writeString(logFile, line, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException ignored) {
      // a notice is not worth failing for
    }
  }

}
