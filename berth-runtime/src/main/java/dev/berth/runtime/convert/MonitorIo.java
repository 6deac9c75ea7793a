package dev.berth.runtime.convert;

import java.nio.file.Path;

/**
 * The stdio of a daemon's container, kept by its monitor (berth-launch) rather than inherited
 * from the caller: berthd's containers run on whether or not berthd does. Null for berth-runc's
 * containers, whose stdio is the caller's (containerd-shim's, conmon's, a shell's).
 *
 * @param jsonLog the container's log in Docker's json-file format, written by the monitor
 * @param controlSocket a unix socket the monitor listens on: stdin data and close, terminal resize
 * @param openStdin the process gets a pipe (or the pty) for stdin fed from the control socket;
 *     otherwise its stdin is /dev/null
 * @param maxSize json-file's max-size in bytes: the monitor rotates the log once it reached it
 *     (T_LOG_ROTATE); 0: never
 * @param maxFile json-file's max-file: how many files (the log and LOG.1 .. LOG.N-1) are kept
 */
public record MonitorIo(Path jsonLog, Path controlSocket, boolean openStdin, long maxSize, int maxFile) {
  public MonitorIo {
    if (maxSize < 0) throw new IllegalArgumentException("log max-size must not be negative: " + maxSize);
    if (maxFile < 1) throw new IllegalArgumentException("log max-file cannot be less than 1: " + maxFile);
  }

  /** Without rotation. */
  public MonitorIo(Path jsonLog, Path controlSocket, boolean openStdin) {
    this(jsonLog, controlSocket, openStdin, 0, 1);
  }
}
