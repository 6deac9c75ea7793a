package dev.berth.engine.exec;

import java.util.List;

/**
 * One exec instance as GET /exec/{id}/json shows it (Docker's ExecInspectResponse).
 *
 * @param id 64 hex digits
 * @param exitCode null until the process has ended
 * @param pid the process's pid on the host, 0 before it runs
 */
public record ExecConfig(String id, String containerId, boolean running, Integer exitCode, long pid,
    ProcessConfig processConfig, boolean openStdin, boolean openStdout, boolean openStderr, String detachKeys,
    boolean canRemove) {

  /** Docker's ProcessConfig: the command split as entrypoint + arguments. */
  public record ProcessConfig(String entrypoint, List<String> arguments, boolean tty, String user, boolean privileged) {}
}
