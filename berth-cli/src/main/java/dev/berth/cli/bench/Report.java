package dev.berth.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** The three outputs of one run: the terminal summary, bench.json (every sample) and report.html. */
public final class Report {
    private Report() {}

    /** Everything one run measured, and on what. */
    public record Run(String command, String started, String finished, Machine machine, double[] loadBefore, double[] loadAfter,
                      List<PhaseResult> phases, List<Published> published) {}

    /** A figure from a publication, with its source: printed as such, never as a measurement. */
    public record Published(String what, String value, String source, String url, String note) {}

    static final ObjectMapper JSON = new ObjectMapper();

    public static String summary(Run run) {
        StringBuilder b = new StringBuilder();
        b.append("berth bench — ").append(run.machine().line()).append('\n');
        b.append(String.format(Locale.ROOT, "load average before %s, after %s%n", load(run.loadBefore()), load(run.loadAfter())));
        for (PhaseResult p : run.phases()) {
            b.append(String.format(Locale.ROOT, "%n%s (%s, %.0f s)%s%n", p.phase, p.status, p.seconds, p.reason == null ? "" : ": " + p.reason));
            for (Figure f : p.figures) {
                b.append("  ").append(f.title).append(String.format(Locale.ROOT, " — %d runs, load %s → %s%n", f.runs, load(f.loadBefore), load(f.loadAfter)));
                for (Figure.Series s : f.series) b.append(line(s, f.kind.equals("line")));
                for (Figure.Series s : f.ratios) b.append(line(s, false));
            }
            for (String s : p.skipped) b.append("  skipped: ").append(s).append('\n');
        }
        if (!run.published().isEmpty()) {
            b.append("\nVM figures (published, cited — not measured here):\n");
            for (Published v : run.published()) b.append("  ").append(v.what()).append(": ").append(v.value()).append(" [").append(v.source()).append("]\n");
        }
        return b.toString();
    }

    static String line(Figure.Series s, boolean points) {
        if (points && s.xs().size() > 12) {
            Stats.Summary m = s.summary();
            return String.format(Locale.ROOT, "    %-34s %d points from x=%s to %s, y %s–%s %s (plotted in the report)%n", s.label(), s.xs().size(),
                    Svg.num(s.xs().getFirst()), Svg.num(s.xs().getLast()), Svg.num(m.min()), Svg.num(m.max()), s.unit());
        }
        if (points) {
            StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "    %-34s", s.label()));
            for (int i = 0; i < s.xs().size(); i++) b.append(String.format(Locale.ROOT, " %s→%s", Svg.num(s.xs().get(i)), Svg.num(s.samples().get(i))));
            return b.append(' ').append(s.unit()).append('\n').toString();
        }
        Stats.Summary m = s.summary();
        return String.format(Locale.ROOT, "    %-34s median %s %s [p25 %s – p75 %s, min %s, max %s, n=%d]%n", s.label(), Svg.num(m.median()), s.unit(),
                Svg.num(m.p25()), Svg.num(m.p75()), Svg.num(m.min()), Svg.num(m.max()), m.n());
    }

    static String load(double[] l) {
        return l == null ? "?" : String.format(Locale.ROOT, "%.2f/%.2f/%.2f", l[0], l[1], l[2]);
    }

    public static ObjectNode json(Run run) {
        ObjectNode o = JSON.createObjectNode();
        o.put("command", run.command()).put("started", run.started()).put("finished", run.finished());
        o.set("machine", JSON.valueToTree(run.machine()));
        o.set("loadBefore", JSON.valueToTree(run.loadBefore()));
        o.set("loadAfter", JSON.valueToTree(run.loadAfter()));
        ArrayNode ps = o.putArray("phases");
        for (PhaseResult p : run.phases()) {
            ObjectNode pn = ps.addObject().put("phase", p.phase).put("status", p.status).put("seconds", p.seconds);
            if (p.reason != null) pn.put("reason", p.reason);
            pn.set("skipped", JSON.valueToTree(p.skipped));
            ArrayNode fs = pn.putArray("figures");
            for (Figure f : p.figures) {
                ObjectNode fn = fs.addObject().put("id", f.id).put("title", f.title).put("kind", f.kind).put("unit", f.unit).put("runs", f.runs);
                fn.set("loadBefore", JSON.valueToTree(f.loadBefore));
                fn.set("loadAfter", JSON.valueToTree(f.loadAfter));
                fn.set("notes", JSON.valueToTree(f.notes));
                series(fn.putArray("series"), f.series, f.kind.equals("line"));
                series(fn.putArray("ratios"), f.ratios, false);
            }
        }
        o.set("published", JSON.valueToTree(run.published()));
        return o;
    }

    static void series(ArrayNode a, List<Figure.Series> ss, boolean line) {
        for (Figure.Series s : ss) {
            ObjectNode n = a.addObject().put("label", s.label()).put("command", s.command()).put("unit", s.unit());
            n.set("samples", JSON.valueToTree(s.samples()));
            if (!s.xs().isEmpty()) n.set("xs", JSON.valueToTree(s.xs()));
            if (!line) n.set("summary", JSON.valueToTree(s.summary()));
        }
    }

    public static String html(Run run) {
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>berth bench</title><style>")
         .append("body{font-family:sans-serif;max-width:960px;margin:2em auto;color:#222}table{border-collapse:collapse;margin:.5em 0}")
         .append("td,th{border:1px solid #ccc;padding:2px 6px;font-size:13px;text-align:right}td.l,th.l{text-align:left}")
         .append("code{font-size:12px;word-break:break-all}.skip{color:#a40}.pub{background:#f4f4f4;padding:.5em}.meta{color:#555;font-size:13px}")
         .append("</style></head><body>\n<h1>berth bench</h1>\n");
        b.append("<p class=\"meta\">Command: <code>").append(Svg.esc(run.command())).append("</code><br>Machine: ").append(Svg.esc(run.machine().line()))
         .append("<br>Started ").append(Svg.esc(run.started())).append(", finished ").append(Svg.esc(run.finished()))
         .append("<br>Load average (1/5/15 min) before ").append(load(run.loadBefore())).append(", after ").append(load(run.loadAfter())).append("</p>\n");
        for (PhaseResult p : run.phases()) {
            b.append("<section class=\"phase\" id=\"phase-").append(Svg.esc(p.phase)).append("\"><h2>").append(Svg.esc(p.phase)).append("</h2>\n");
            if (!p.status.equals("ok")) b.append("<p class=\"skip\">").append(Svg.esc(p.status)).append(": ").append(Svg.esc(p.reason)).append("</p>\n");
            for (Figure f : p.figures) {
                b.append("<figure id=\"fig-").append(Svg.esc(f.id)).append("\"><figcaption><b>").append(Svg.esc(f.title)).append("</b><br><span class=\"meta\">")
                 .append(f.runs).append(" runs; load ").append(load(f.loadBefore)).append(" before, ").append(load(f.loadAfter)).append(" after; ")
                 .append(Svg.esc(run.machine().line())).append("</span></figcaption>\n");
                b.append(Svg.plot(f)).append('\n');
                table(b, f);
                for (String n : f.notes) b.append("<p class=\"meta\">").append(Svg.esc(n)).append("</p>\n");
                b.append("</figure>\n");
            }
            for (String s : p.skipped) b.append("<p class=\"skip\">skipped: ").append(Svg.esc(s)).append("</p>\n");
            b.append("</section>\n");
        }
        if (!run.published().isEmpty()) {
            b.append("<section class=\"pub\" id=\"published\"><h2>VM figures — published and cited, not measured here</h2>\n")
             .append("<p class=\"meta\">This machine cannot boot nested guests; these are a vendor's published figures, for context only.</p>\n")
             .append("<table><tr><th class=\"l\">what</th><th class=\"l\">published value</th><th class=\"l\">source</th></tr>\n");
            for (Published v : run.published())
                b.append("<tr><td class=\"l\">").append(Svg.esc(v.what())).append("</td><td class=\"l\">").append(Svg.esc(v.value())).append("</td><td class=\"l\">")
                 .append(Svg.esc(v.source())).append(" — <code>").append(Svg.esc(v.url())).append("</code>").append(v.note() == null ? "" : "<br>" + Svg.esc(v.note()))
                 .append("</td></tr>\n");
            b.append("</table></section>\n");
        }
        // Marks the plots that the browser actually laid out (non-empty boxes): checked by BenchIT in headless Chromium.
        b.append("<script>document.body.dataset.renderedPlots=[...document.querySelectorAll('svg.plot')]")
         .append(".filter(s=>{const r=s.getBoundingClientRect();return r.width>0&&r.height>0&&s.querySelectorAll('path,rect').length>0}).length;</script>\n");
        return b.append("</body></html>\n").toString();
    }

    static void table(StringBuilder b, Figure f) {
        b.append("<table><tr><th class=\"l\">series</th><th>median</th><th>p25</th><th>p75</th><th>min</th><th>max</th><th>n</th><th class=\"l\">command</th></tr>\n");
        for (List<Figure.Series> ss : List.of(f.series, f.ratios)) {
            for (Figure.Series s : ss) {
                if (f.kind.equals("line") && ss == f.series) {
                    b.append("<tr><td class=\"l\">").append(Svg.esc(s.label())).append("</td><td colspan=\"6\" class=\"l\">");
                    if (s.xs().size() > 12) b.append(s.xs().size()).append(" points, plotted above (all in bench.json) ");
                    else for (int i = 0; i < s.xs().size(); i++) b.append(Svg.num(s.xs().get(i))).append(" → ").append(Svg.num(s.samples().get(i))).append(' ').append(Svg.esc(s.unit())).append("; ");
                } else {
                    Stats.Summary m = s.summary();
                    b.append("<tr><td class=\"l\">").append(Svg.esc(s.label())).append("</td><td><b>").append(Svg.num(m.median())).append(' ').append(Svg.esc(s.unit()))
                     .append("</b></td><td>").append(Svg.num(m.p25())).append("</td><td>").append(Svg.num(m.p75())).append("</td><td>").append(Svg.num(m.min()))
                     .append("</td><td>").append(Svg.num(m.max())).append("</td><td>").append(m.n()).append("</td><td class=\"l\">");
                }
                b.append("<code>").append(Svg.esc(s.command())).append("</code></td></tr>\n");
            }
        }
        b.append("</table>\n");
    }

    public static void write(Run run, Path dir) {
        try {
            Files.createDirectories(dir);
            JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("bench.json").toFile(), json(run));
            Files.writeString(dir.resolve("report.html"), html(run));
            Files.writeString(dir.resolve("summary.txt"), summary(run));
        } catch (IOException e) {
            throw new BenchException("cannot write the report to " + dir + ": " + e.getMessage());
        }
    }
}
