package dev.berth.cli.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * One figure of the report: what was measured (each series with its exact command and every
 * sample), how it is drawn, how many runs, and the load average before and after.
 *
 * <p>Kinds: {@code ratio} — bars of {@link #ratios} (each a per-round quotient of two interleaved
 * series) with their spread; {@code cdf} — the cumulative distribution of each series (latency);
 * {@code line} — each series' samples over {@link Series#xs}.
 */
public final class Figure {
    public final String id, title, kind, unit;
    public final List<Series> series = new ArrayList<>();
    public final List<Series> ratios = new ArrayList<>();
    public final List<String> notes = new ArrayList<>();
    public int runs;
    public double[] loadBefore, loadAfter;

    public Figure(String id, String title, String kind, String unit) {
        if (!List.of("ratio", "cdf", "line").contains(kind)) throw new IllegalArgumentException("figure kind " + kind);
        this.id = id; this.title = title; this.kind = kind; this.unit = unit;
    }

    /** One measured thing: its label, the command that measured it, its samples (and x values for a line). */
    public record Series(String label, String command, String unit, List<Double> samples, List<Double> xs) {
        public Series(String label, String command, String unit, List<Double> samples) { this(label, command, unit, samples, List.of()); }
        public Stats.Summary summary() { return Stats.of(samples); }
    }

    public Figure add(Series s) { series.add(s); return this; }

    /** Adds the ratio series num/den of two series of this figure, paired by round. */
    public Figure ratio(String label, Series num, Series den) {
        ratios.add(new Series(label, num.label() + " / " + den.label(), "×", Stats.ratios(num.samples(), den.samples())));
        return this;
    }

    public Figure note(String n) { notes.add(n); return this; }
}
