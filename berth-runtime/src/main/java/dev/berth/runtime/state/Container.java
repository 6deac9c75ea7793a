package dev.berth.runtime.state;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.OptionalInt;

/**
 * A container as found in the state root: its record plus what the kernel says now. Status is
 * derived, never stored: no pid yet → creating; init alive with the exec fifo still present →
 * created; alive without it → running (paused is decided by the freezer, by the caller); gone,
 * a zombie, or a different process that reused the pid → stopped.
 */
public record Container(ContainerRecord record, Path dir) {

  public String id() {
    return record.id();
  }

  public Path fifo() {
    return dir.resolve("exec.fifo");
  }

  public OptionalInt pid() {
    try {
      String s = Files.readString(dir.resolve("pid"), StandardCharsets.US_ASCII).trim();
      int sp = s.indexOf(' ');
      return OptionalInt.of(Integer.parseInt(sp < 0 ? s : s.substring(0, sp)));
    } catch (IOException | NumberFormatException e) {
      return OptionalInt.empty();
    }
  }

  /** The JVM and launcher of the create, recorded before anything else in the directory. */
  public List<ProcRecord> creators() {
    return ProcRecord.read(dir.resolve("creator"));
  }

  /**
   * A detached container's monitor and the keeper above it (either writes the exit status: the
   * keeper if the monitor was killed), each recorded by itself at its start.
   */
  public List<ProcRecord> monitors() {
    List<ProcRecord> all = new java.util.ArrayList<>(ProcRecord.read(dir.resolve("keeper")));
    all.addAll(ProcRecord.read(dir.resolve("monitor")));
    return all;
  }

  /**
   * Liveness of the init process, without paused (see class comment). Without a pid file the
   * create has not finished: it is creating while its creator (or the monitor it started) lives,
   * and stopped once they are gone (killed half-way; the caller still checks the cgroup for
   * processes they left).
   */
  public Status baseStatus() {
    OptionalInt pid = pid();
    if (pid.isEmpty()) {
      if (Files.exists(dir.resolve("creator"), LinkOption.NOFOLLOW_LINKS)) {
        // the monitor of a run -d is part of the creation until the pid file is written
        boolean making = creators().stream().anyMatch(ProcRecord::alive) || monitors().stream().anyMatch(ProcRecord::alive);
        return making ? Status.CREATING : Status.STOPPED;
      }
      // No creator recorded (yet, or a directory of an older berth): the launcher writes the pid
      // within moments of the hand-over; one that never did has died.
      boolean launching = !record.created().isEmpty()
          && createdAt().isAfter(Instant.now().minusSeconds(30));
      return launching ? Status.CREATING : Status.STOPPED;
    }
    if (!ProcStat.aliveSince(pid.getAsInt(), createdAt())) return Status.STOPPED;
    return Files.exists(fifo(), LinkOption.NOFOLLOW_LINKS) ? Status.CREATED : Status.RUNNING;
  }

  public Instant createdAt() {
    try {
      return Instant.parse(record.created());
    } catch (RuntimeException e) {
      return Instant.EPOCH;
    }
  }

  /** What {@link #exitStatus} says when the init ended after its monitor and keeper were killed. */
  public static final String EXIT_UNKNOWN = "unknown (the monitor was killed before the container ended)";

  /**
   * "exited N" / "signaled N" written by the monitor (or by the keeper, if the monitor was killed),
   * if the container had one and it ended; if both were killed first, nobody could wait for the
   * init (it was re-parented to the caller's subreaper or pid 1, which reaped it):
   * {@link #EXIT_UNKNOWN} once the init is gone too.
   */
  public String exitStatus() {
    try {
      return Files.readString(dir.resolve("exit"), StandardCharsets.US_ASCII).trim();
    } catch (IOException e) {
      // not written (yet)
    }
    if (!record.monitored()) return null;
    List<ProcRecord> monitors = monitors();
    OptionalInt pid = pid();
    if (monitors.isEmpty() || pid.isEmpty() || monitors.stream().anyMatch(ProcRecord::alive)) return null;
    if (Files.exists(dir.resolve("exit"), LinkOption.NOFOLLOW_LINKS)) return exitStatus(); // written meanwhile
    return ProcStat.aliveSince(pid.getAsInt(), createdAt()) ? null : EXIT_UNKNOWN;
  }
}
