package dev.berth.cli.bench;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The report's plots as inline SVG, no script and no fonts from outside: horizontal bars with
 * spread for ratios (bar to the median, box p25–p75, whisker min–max, a line at 1.0), step CDFs
 * for latencies and lines for values over N. Every plot is {@code <svg class="plot" id="plot-ID"
 * data-kind=KIND>}.
 */
public final class Svg {
    private Svg() {}

    static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"};
    static final int W = 720, LEFT = 210, RIGHT = 30, TOP = 16;

    public static String plot(Figure f) {
        return switch (f.kind) {
            case "ratio" -> ratioBars(f);
            case "cdf" -> cdf(f);
            case "line" -> line(f);
            default -> throw new IllegalArgumentException(f.kind);
        };
    }

    static String ratioBars(Figure f) {
        List<Figure.Series> rs = f.ratios;
        int rowH = 30, h = TOP + rowH * rs.size() + 40;
        double max = 1.2;
        for (Figure.Series s : rs) max = Math.max(max, s.summary().max() * 1.1);
        double scale = (W - LEFT - RIGHT) / max;
        StringBuilder b = open(f, h);
        axisX(b, scale, max, TOP + rowH * rs.size(), "ratio (×)");
        double one = LEFT + scale;
        b.append(fmt("<line class=\"ref\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#444\" stroke-dasharray=\"4 3\"/>", one, TOP - 6, one, TOP + rowH * rs.size()));
        for (int i = 0; i < rs.size(); i++) {
            Stats.Summary s = rs.get(i).summary();
            double y = TOP + i * rowH + 5;
            String c = COLORS[i % COLORS.length];
            b.append(fmt("<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" font-size=\"12\">%s</text>", LEFT - 8, y + 14, esc(rs.get(i).label())));
            b.append(fmt("<rect class=\"bar\" x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"20\" fill=\"%s\" fill-opacity=\"0.35\"><title>%s: median %s (p25 %s, p75 %s, min %s, max %s, n=%d)</title></rect>",
                    LEFT, y, Math.max(1, s.median() * scale), c, esc(rs.get(i).label()), num(s.median()), num(s.p25()), num(s.p75()), num(s.min()), num(s.max()), s.n()));
            b.append(fmt("<line class=\"whisker\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>", LEFT + s.min() * scale, y + 10, LEFT + s.max() * scale, y + 10, c));
            b.append(fmt("<rect class=\"spread\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"12\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>",
                    LEFT + s.p25() * scale, y + 4, Math.max(1, (s.p75() - s.p25()) * scale), c));
            b.append(fmt("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#000\" stroke-width=\"2\"/>", LEFT + s.median() * scale, y + 2, LEFT + s.median() * scale, y + 18));
            b.append(fmt("<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">%s×</text>", Math.min(W - RIGHT - 30, LEFT + s.max() * scale + 6), y + 14, num(s.median())));
        }
        return b.append("</svg>").toString();
    }

    static String cdf(Figure f) {
        int plotH = 300 - TOP - 70, h = 300 + legendExtra(f);
        double max = 0;
        for (Figure.Series s : f.series) max = Math.max(max, s.summary().max());
        max = niceCeil(max * 1.05);
        int left = 60;
        double scale = (W - left - RIGHT) / max;
        StringBuilder b = open(f, h);
        int y0 = TOP + plotH;
        b.append(fmt("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#000\"/>", left, y0, W - RIGHT, y0));
        b.append(fmt("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#000\"/>", left, TOP, left, y0));
        for (int t = 0; t <= 4; t++) {
            double v = max * t / 4, x = left + v * scale;
            b.append(fmt("<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" font-size=\"11\">%s</text>", x, y0 + 14, num(v)));
            double yy = y0 - plotH * t / 4.0;
            b.append(fmt("<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" font-size=\"11\">%s</text>", left - 4, yy + 4, num(t / 4.0)));
            b.append(fmt("<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>", left, yy, W - RIGHT, yy));
        }
        b.append(fmt("<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"12\">%s</text>", (left + W - RIGHT) / 2, y0 + 30, esc(f.unit)));
        for (int i = 0; i < f.series.size(); i++) {
            Figure.Series s = f.series.get(i);
            double[] xs = s.samples().stream().mapToDouble(Double::doubleValue).sorted().toArray();
            StringBuilder d = new StringBuilder(fmt("M%.1f %d", left + xs[0] * scale, y0));
            for (int k = 0; k < xs.length; k++) {
                double x = left + xs[k] * scale;
                d.append(fmt(" L%.1f %.1f L%.1f %.1f", x, y0 - plotH * (double) k / xs.length, x, y0 - plotH * (k + 1.0) / xs.length));
            }
            String c = COLORS[i % COLORS.length];
            b.append(fmt("<path class=\"cdf\" d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"><title>%s</title></path>", d, c, esc(s.label())));
            legend(b, i, c, s.label() + " (median " + num(s.summary().median()) + " " + f.unit + ")", y0 + 44);
        }
        return b.append("</svg>").toString();
    }

    static String line(Figure f) {
        int plotH = 300 - TOP - 70, h = 300 + legendExtra(f), left = 60;
        double maxX = 0, maxY = 0;
        for (Figure.Series s : f.series) {
            for (double x : s.xs()) maxX = Math.max(maxX, x);
            for (double y : s.samples()) maxY = Math.max(maxY, y);
        }
        double minX = f.series.stream().flatMap(s -> s.xs().stream()).mapToDouble(Double::doubleValue).min().orElse(0);
        if (minX > 0) minX = 0;
        double minY = Math.min(0, f.series.stream().flatMap(s -> s.samples().stream()).mapToDouble(Double::doubleValue).min().orElse(0));
        if (minY < 0) minY = -niceCeil(-minY);
        maxX = niceCeil(maxX); maxY = niceCeil(maxY * 1.1);
        double sx = (W - left - RIGHT) / (maxX - minX), sy = plotH / (maxY - minY);
        int y0 = TOP + plotH;
        StringBuilder b = open(f, h);
        b.append(fmt("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#000\"/>", left, y0, W - RIGHT, y0));
        b.append(fmt("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#000\"/>", left, TOP, left, y0));
        for (int t = 0; t <= 4; t++) {
            double vx = minX + (maxX - minX) * t / 4, vy = minY + (maxY - minY) * t / 4;
            b.append(fmt("<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" font-size=\"11\">%s</text>", left + (vx - minX) * sx, y0 + 14, num(vx)));
            b.append(fmt("<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" font-size=\"11\">%s</text>", left - 4, y0 - (vy - minY) * sy + 4, num(vy)));
            b.append(fmt("<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>", left, y0 - (vy - minY) * sy, W - RIGHT, y0 - (vy - minY) * sy));
        }
        b.append(fmt("<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"12\">%s</text>", (left + W - RIGHT) / 2, y0 + 30,
                esc(f.notes.isEmpty() ? "" : "x: " + xLabel(f))));
        for (int i = 0; i < f.series.size(); i++) {
            Figure.Series s = f.series.get(i);
            String c = COLORS[i % COLORS.length];
            StringBuilder d = new StringBuilder();
            for (int k = 0; k < s.xs().size(); k++) {
                double x = left + (s.xs().get(k) - minX) * sx, y = y0 - (s.samples().get(k) - minY) * sy;
                d.append(k == 0 ? "M" : " L").append(fmt("%.1f %.1f", x, y));
                if (s.xs().size() <= 40) b.append(fmt("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>", x, y, c));
            }
            b.append(fmt("<path class=\"line\" d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"><title>%s</title></path>", d, c, esc(s.label())));
            legend(b, i, c, s.label() + " (" + s.unit() + ")", y0 + 44);
        }
        return b.append("</svg>").toString();
    }

    /** Room for legend rows beyond the first two (two entries a row, 16 px each). */
    static int legendExtra(Figure f) { return Math.max(0, (f.series.size() + 1) / 2 - 2) * 16 + 8; }

    /** A line figure names its x axis in a note starting "x:". */
    static String xLabel(Figure f) {
        for (String n : f.notes) if (n.startsWith("x: ")) return n.substring(3);
        return "";
    }

    static StringBuilder open(Figure f, int h) {
        return new StringBuilder(fmt("<svg class=\"plot\" id=\"plot-%s\" data-kind=\"%s\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" role=\"img\" aria-label=\"%s\">",
                esc(f.id), f.kind, W, h, W, h, esc(f.title)));
    }

    static void axisX(StringBuilder b, double scale, double max, int y, String label) {
        b.append(fmt("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#000\"/>", LEFT, y, W - RIGHT, y));
        double step = niceCeil(max / 5);
        for (double v = 0; v <= max + 1e-9; v += step) {
            b.append(fmt("<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#000\"/>", LEFT + v * scale, y, LEFT + v * scale, y + 4));
            b.append(fmt("<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" font-size=\"11\">%s</text>", LEFT + v * scale, y + 16, num(v)));
        }
        b.append(fmt("<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"12\">%s</text>", (LEFT + W - RIGHT) / 2, y + 32, esc(label)));
    }

    static void legend(StringBuilder b, int i, String color, String text, int y) {
        int x = 60 + (i % 2) * 330, yy = y + (i / 2) * 16;
        b.append(fmt("<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"4\" fill=\"%s\"/><text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>", x, yy - 4, color, x + 16, yy, esc(text)));
    }

    /** The smallest of 1, 2, 2.5, 5 × 10^k that is ≥ v (v > 0). */
    static double niceCeil(double v) {
        if (v <= 0 || Double.isNaN(v)) return 1;
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 2.5, 5, 10}) if (m * p >= v - 1e-12) return m * p;
        return 10 * p;
    }

    /** A number for a label: 3 significant digits, no exponent. */
    public static String num(double v) {
        double a = Math.abs(v);
        if (a == 0) return "0";
        if (a >= 100) return String.format(Locale.ROOT, "%.0f", v);
        if (a >= 10) return String.format(Locale.ROOT, "%.1f", v);
        if (a >= 1) return String.format(Locale.ROOT, "%.2f", v);
        return String.format(Locale.ROOT, "%.3f", v);
    }

    public static String esc(String s) {
        if (s == null) return "";
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    static String fmt(String f, Object... a) { return String.format(Locale.ROOT, f, a); }

    static double[] sorted(List<Double> xs) { double[] a = xs.stream().mapToDouble(Double::doubleValue).toArray(); Arrays.sort(a); return a; }
}
