package dev.berth.cli.bench;

import java.util.ArrayList;
import java.util.List;

/** What one phase produced: its figures, or why it could not run; lines about peers it skipped. */
public final class PhaseResult {
    public final String phase;
    public String status = "ok";   // ok | skipped | failed
    public String reason;
    public final List<Figure> figures = new ArrayList<>();
    public final List<String> skipped = new ArrayList<>();
    public double seconds;

    public PhaseResult(String phase) { this.phase = phase; }

    public static PhaseResult skip(String phase, String why) {
        PhaseResult r = new PhaseResult(phase);
        r.status = "skipped"; r.reason = why;
        return r;
    }
}
