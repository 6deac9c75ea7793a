package dev.berth.runtime.state;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One process that may still write into a container's state directory or cgroup, as recorded in
 * it: {@code creator} (the JVM and the launcher of a create that has not finished) and
 * {@code monitor} (a detached container's monitor, which writes the exit status). A line
 * {@code "<pid> <start ticks>"}; the start time makes the pair name one process even after the pid
 * is reused.
 */
public record ProcRecord(long pid, long startTicks) {

  /** Alive (not a zombie) and the very process recorded. */
  public boolean alive() {
    return startTicks >= 0 && ProcStat.startTicks(pid) == startTicks;
  }

  /** The record of {@code pid} as it is now; null if it is gone. */
  public static ProcRecord of(long pid) {
    long t = ProcStat.startTicks(pid);
    return t < 0 ? null : new ProcRecord(pid, t);
  }

  /** The records in {@code file}; empty if there is none (or it is damaged: nothing to wait for). */
  public static List<ProcRecord> read(Path file) {
    List<ProcRecord> out = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
        String[] f = line.trim().split(" ");
        if (f.length != 2) continue;
        try {
          out.add(new ProcRecord(Long.parseLong(f[0]), Long.parseLong(f[1])));
        } catch (NumberFormatException ignored) {
          // a line cut short: skip it
        }
      }
    } catch (IOException e) {
      // no file
    }
    return out;
  }

  public static byte[] encode(List<ProcRecord> procs) {
    StringBuilder b = new StringBuilder();
    for (ProcRecord p : procs) b.append(p.pid).append(' ').append(p.startTicks).append('\n');
    return b.toString().getBytes(StandardCharsets.US_ASCII);
  }

  /** SIGKILL each one still alive and wait (at most {@code timeoutMs}) until all are gone. */
  public static void killAndWait(List<ProcRecord> procs, long timeoutMs) {
    for (ProcRecord p : procs) {
      if (p.alive()) ProcessHandle.of(p.pid).ifPresent(ProcessHandle::destroyForcibly);
    }
    waitGone(procs, timeoutMs);
  }

  /** Waits (at most {@code timeoutMs}) until none of {@code procs} is alive; true if none is. */
  public static boolean waitGone(List<ProcRecord> procs, long timeoutMs) {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000;
    for (int i = 0; ; i++) {
      boolean any = false;
      for (ProcRecord p : procs) any |= p.alive();
      if (!any) return true;
      if (System.nanoTime() > deadline) return false;
      java.util.concurrent.locks.LockSupport.parkNanos(i < 50 ? 200_000 : 2_000_000);
    }
  }
}
