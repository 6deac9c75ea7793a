package dev.berth.runtime.state;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/** Reads /proc/&lt;pid&gt;/stat: is the process alive (not a zombie), and when did it start. */
public final class ProcStat {
  private static final long CLK_TCK = 100; // USER_HZ on Linux
  private static volatile long bootMillis = -1;

  private ProcStat() {}

  /** Alive, not a zombie, and started no earlier than {@code notBefore} (guards against pid reuse). */
  public static boolean aliveSince(int pid, Instant notBefore) {
    String stat;
    try {
      stat = Files.readString(Path.of("/proc/" + pid + "/stat"), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      return false;
    }
    int close = stat.lastIndexOf(')');
    if (close < 0) return false;
    String[] f = stat.substring(close + 2).split(" ");
    if (f[0].equals("Z") || f[0].equals("X")) return false;
    long startTicks = Long.parseLong(f[19]);
    long started = bootMillis() + startTicks * 1000 / CLK_TCK;
    // state.json's "created" is taken before clone; allow clock granularity slack.
    return started + 2000 >= notBefore.toEpochMilli();
  }

  /**
   * Start time of {@code pid} in clock ticks since boot (field 22 of /proc/&lt;pid&gt;/stat), or -1 if
   * it is gone or a zombie: with the pid, it names one process for good (pids are reused, start
   * times of the same pid are not).
   */
  public static long startTicks(long pid) {
    String stat;
    try {
      stat = Files.readString(Path.of("/proc/" + pid + "/stat"), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      return -1;
    }
    int close = stat.lastIndexOf(')');
    if (close < 0) return -1;
    String[] f = stat.substring(close + 2).split(" ");
    if (f[0].equals("Z") || f[0].equals("X")) return -1;
    return Long.parseLong(f[19]);
  }

  static long bootMillis() {
    long b = bootMillis;
    if (b >= 0) return b;
    try {
      for (String line : Files.readAllLines(Path.of("/proc/stat"))) {
        if (line.startsWith("btime ")) return bootMillis = Long.parseLong(line.substring(6).trim()) * 1000;
      }
    } catch (IOException e) {
      // fall through
    }
    return bootMillis = 0;
  }
}
