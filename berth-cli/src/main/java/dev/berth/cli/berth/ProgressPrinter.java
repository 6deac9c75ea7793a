package dev.berth.cli.berth;

import dev.berth.image.registry.Progress;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One line per layer. On a terminal the lines are redrawn in place (a bar while downloading or
 * pushing, redrawn at most every 100 ms); otherwise a line is printed each time a layer's status
 * changes.
 */
final class ProgressPrinter implements Progress {
    private final PrintWriter out;
    private final boolean tty;
    private final Map<String, String> lines = new LinkedHashMap<>();
    private final Map<String, String> lastStatus = new LinkedHashMap<>();
    private int drawn;
    private long lastDraw;

    ProgressPrinter(PrintWriter out, boolean tty) { this.out = out; this.tty = tty; }

    @Override public synchronized void update(String id, String status, long current, long total) {
        boolean bytes = status.equals("Downloading") || status.equals("Pushing");
        String line = id + ": " + status + (bytes ? " " + bar(current, total) : "");
        if (!tty) {
            if (!status.equals(lastStatus.put(id, status))) out.println(id + ": " + status + (total > 0 ? " (" + human(total) + ")" : ""));
            out.flush();
            return;
        }
        lines.put(id, line);
        long now = System.nanoTime();
        if (bytes && current < total && now - lastDraw < 100_000_000L) return;
        lastDraw = now;
        if (drawn > 0) out.print("\033[" + drawn + "A");
        for (String l : lines.values()) out.print("\r\033[2K" + l + "\n");
        drawn = lines.size();
        out.flush();
    }

    static String bar(long current, long total) {
        if (total <= 0) return human(current);
        int width = 30;
        int done = (int) Math.min(width, width * current / total);
        return "[" + "=".repeat(Math.max(0, done - 1)) + (done > 0 ? ">" : "") + " ".repeat(width - done) + "] " + human(current) + "/" + human(total);
    }

    static String human(long b) {
        if (b < 1000) return b + "B";
        if (b < 1000_000) return String.format("%.1fkB", b / 1e3);
        if (b < 1000_000_000) return String.format("%.1fMB", b / 1e6);
        return String.format("%.2fGB", b / 1e9);
    }
}
