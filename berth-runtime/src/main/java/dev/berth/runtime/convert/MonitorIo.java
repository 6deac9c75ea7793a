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
 */
public record MonitorIo(Path jsonLog, Path controlSocket, boolean openStdin) {}
