package dev.berth.engine.trace;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * berthd's op trace, for finding where a request spends its time: with {@code BERTH_TRACE=1} in
 * berthd's environment (or {@code -Dberth.trace=true}) each API request, and each piece of work a
 * request leaves to another thread (an exit's bookkeeping, an auto-remove), prints one line on
 * berthd's log:
 * <pre>berthd-trace POST /containers/create 21.4 ms: parse 0.3, image 1.1, snapshot 7.9, ... rest 0.4</pre>
 * Phases are closed by {@link #phase}: each takes the time since the previous mark on the same
 * thread. Off (the default), every call is one static boolean test.
 */
public final class OpTrace {
  /** Whether tracing is on for this process. */
  public static final boolean ON = "1".equals(System.getenv("BERTH_TRACE")) || Boolean.getBoolean("berth.trace");
  private static final ThreadLocal<OpTrace> CURRENT = new ThreadLocal<>();
  static PrintStream out = System.err;

  private final String what;
  private final Object owner;
  private final long start;
  private long last;
  private final List<String> names = new ArrayList<>();
  private final List<Long> nanos = new ArrayList<>();

  private OpTrace(String what, Object owner) {
    this.what = what;
    this.owner = owner;
    this.start = this.last = System.nanoTime();
  }

  /** Starts the trace of {@code what} on this thread (replacing an unfinished one). */
  public static void begin(String what) {
    if (ON) CURRENT.set(new OpTrace(what, null));
  }

  /**
   * Starts the trace of {@code owner} (a request object) unless this thread traces it already:
   * a request passed along a chain of handlers is traced once, from the first.
   */
  public static void begin(Object owner, java.util.function.Supplier<String> what) {
    if (!ON) return;
    OpTrace t = CURRENT.get();
    if (t != null && t.owner == owner) return;
    CURRENT.set(new OpTrace(what.get(), owner));
  }

  /** Ends the phase {@code name} on this thread's trace (none: nothing). */
  public static void phase(String name) {
    if (!ON) return;
    OpTrace t = CURRENT.get();
    if (t == null) return;
    long now = System.nanoTime();
    t.names.add(name);
    t.nanos.add(now - t.last);
    t.last = now;
  }

  /** Prints this thread's trace and ends it. */
  public static void end() {
    if (!ON) return;
    OpTrace t = CURRENT.get();
    if (t == null) return;
    CURRENT.remove();
    out.println(t.line(System.nanoTime()));
  }

  String line(long now) {
    StringBuilder b = new StringBuilder("berthd-trace ").append(what).append(' ').append(ms(now - start)).append(" ms");
    for (int i = 0; i < names.size(); i++) b.append(i == 0 ? ": " : ", ").append(names.get(i)).append(' ').append(ms(nanos.get(i)));
    if (!names.isEmpty()) b.append(", rest ").append(ms(now - last));
    return b.toString();
  }

  private static String ms(long nanos) {
    return String.format(java.util.Locale.ROOT, "%.1f", nanos / 1e6);
  }

  /** For tests: a trace that is not bound to a thread. */
  static OpTrace detached(String what) { return new OpTrace(what, null); }

  void mark(String name) {
    long now = System.nanoTime();
    names.add(name);
    nanos.add(now - last);
    last = now;
  }
}
