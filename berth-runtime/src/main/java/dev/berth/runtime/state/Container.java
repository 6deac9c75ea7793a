package dev.berth.runtime.state;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
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

  /** Liveness of the init process, without paused (see class comment). */
  public Status baseStatus() {
    OptionalInt pid = pid();
    if (pid.isEmpty()) {
      // The launcher writes the pid within moments of the hand-over; one that never did has died.
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

  /** "exited N" / "signaled N" written by the monitor, if the container had one and it ended. */
  public String exitStatus() {
    try {
      return Files.readString(dir.resolve("exit"), StandardCharsets.US_ASCII).trim();
    } catch (IOException e) {
      return null;
    }
  }
}
