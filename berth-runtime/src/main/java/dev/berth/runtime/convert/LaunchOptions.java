package dev.berth.runtime.convert;

import java.nio.file.Path;

/**
 * How a container (or exec'd process) is launched, from the command line: everything the plan
 * needs besides config.json. Paths are absolute.
 *
 * @param action create, run or exec
 * @param monitorExitFile non-null: stay resident as a detached monitor writing the exit status here
 * @param detach exec only: return once the process runs (its pid in pidFile)
 * @param io the monitor keeps the container's stdio (berthd's containers; only with monitorExitFile),
 *     or null: the process inherits the caller's stdio
 */
public record LaunchOptions(
    String action,
    String id,
    Path stateDir,
    Path bundle,
    Path pidFile,
    Path consoleSocket,
    boolean noPivot,
    int preserveFds,
    Path monitorExitFile,
    boolean detach,
    Path logFile,
    String logFormat,
    MonitorIo io) {
  /** Without monitor-kept stdio (berth-runc's launches). */
  public LaunchOptions(String action, String id, Path stateDir, Path bundle, Path pidFile, Path consoleSocket,
      boolean noPivot, int preserveFds, Path monitorExitFile, boolean detach, Path logFile, String logFormat) {
    this(action, id, stateDir, bundle, pidFile, consoleSocket, noPivot, preserveFds, monitorExitFile, detach, logFile,
        logFormat, null);
  }
}
