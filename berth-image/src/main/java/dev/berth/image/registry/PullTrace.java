package dev.berth.image.registry;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code BERTH_TRACE=1}: pull's phases on stderr, each with the wall time since the JVM started
 * and the process's user and system CPU so far (from /proc/self/stat), to see where a pull's
 * time and CPU go. Off: one static check.
 */
final class PullTrace {
    private PullTrace() {}

    static final boolean ON = System.getenv("BERTH_TRACE") != null;

    static void mark(String what) {
        if (!ON) return;
        String at = "";
        try {
            // clock ticks (USER_HZ, 100 on Linux): utime, stime, and the start since boot, against /proc/uptime
            String s = Files.readString(Path.of("/proc/self/stat"));
            String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
            double up = Double.parseDouble(Files.readString(Path.of("/proc/uptime")).split(" ")[0]);
            at = String.format("%6.0f ms user %.2f s sys %.2f s", up * 1000 - Long.parseLong(f[19]) * 10.0,
                    Long.parseLong(f[11]) / 100.0, Long.parseLong(f[12]) / 100.0);
        } catch (Exception ignored) { /* no /proc */ }
        System.err.println("berth-trace " + at + "  " + what);
    }
}
