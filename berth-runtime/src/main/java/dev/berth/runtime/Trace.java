package dev.berth.runtime;

/**
 * Start-up tracing for measurements: with {@code -Dberth.trace=true} (or BERTH_TRACE=1 through
 * bin/berth-runc) each mark prints the milliseconds since the JVM started, on stderr.
 */
public final class Trace {
  private static final boolean ON = Boolean.getBoolean("berth.trace");
  private static long start = -1;

  private Trace() {}

  public static void mark(String what) {
    if (!ON) return;
    if (start < 0) start = java.lang.management.ManagementFactory.getRuntimeMXBean().getStartTime();
    System.err.println("berth-trace " + (System.currentTimeMillis() - start) + " ms " + what);
  }
}
