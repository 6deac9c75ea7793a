package dev.berth.api.ops;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The JDK's jcmd against a process (berthd): thread dumps on a test's timeout, heap after a GC. */
public final class Jcmd {
  private Jcmd() {}

  public static Path tool() {
    Path j = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    if (!Files.isExecutable(j)) throw new IllegalStateException("missing: " + j + " (a JDK's jcmd)");
    return j;
  }

  /** jcmd PID COMMAND...: its output (stdout and stderr), 60 s at most. */
  public static String run(long pid, String... command) {
    List<String> cmd = new ArrayList<>(List.of(tool().toString(), Long.toString(pid)));
    cmd.addAll(List.of(command));
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(60, TimeUnit.SECONDS)) p.destroyForcibly();
      return new String(out);
    } catch (Exception e) {
      return "jcmd " + String.join(" ", command) + " failed: " + e;
    }
  }

  /** The thread dump (jstack's). */
  public static String threads(long pid) { return run(pid, "Thread.print", "-l"); }

  /** Heap used after a full GC, in KiB (serial GC's GC.heap_info lines: "total NK, used MK"). */
  public static long heapUsedAfterGcKiB(long pid) {
    run(pid, "GC.run");
    long sum = 0;
    var m = java.util.regex.Pattern.compile(" total \\d+K, used (\\d+)K").matcher(run(pid, "GC.heap_info"));
    while (m.find()) sum += Long.parseLong(m.group(1)); // DefNew and Tenured (not Metaspace: no "total")
    return sum;
  }
}
