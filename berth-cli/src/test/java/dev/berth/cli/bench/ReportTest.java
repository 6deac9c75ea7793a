package dev.berth.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class ReportTest {
    static Figure ratioFigure() {
        Figure f = new Figure("cpu", "CPU <events>", "ratio", "events/s");
        Figure.Series n = new Figure.Series("native", "sysbench cpu run", "events/s", List.of(100.0, 110.0, 90.0));
        Figure.Series c = new Figure.Series("container", "berth-runc run & sysbench", "events/s", List.of(95.0, 99.0, 90.0));
        f.add(n).add(c).ratio("container / native", c, n);
        f.runs = 3; f.loadBefore = new double[] {1, 2, 3}; f.loadAfter = new double[] {1.5, 2, 3};
        return f;
    }

    static Figure cdfFigure() {
        Figure f = new Figure("start", "Start", "cdf", "ms");
        f.add(new Figure.Series("berth-runc run", "berth-runc run", "ms", List.of(30.0, 32.0, 31.0, 40.0)));
        f.add(new Figure.Series("runc run", "runc run", "ms", List.of(80.0, 82.0, 85.0, 90.0)));
        f.runs = 4;
        return f;
    }

    static Figure lineFigure() {
        Figure f = new Figure("density", "Density", "line", "MiB");
        f.add(new Figure.Series("per container", "run -d", "MiB", List.of(1.5, 1.4, 1.3), List.of(10.0, 20.0, 40.0)));
        f.note("x: containers running (N)");
        f.runs = 1;
        return f;
    }

    static Document xml(String svg) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(new org.xml.sax.InputSource(new java.io.StringReader(svg)));
    }

    @Test void ratioBarsAreWellFormedSvgWithBarSpreadAndReferenceLine() throws Exception {
        Figure f = ratioFigure();
        Document d = xml(Svg.plot(f));
        Element svg = d.getDocumentElement();
        assertThat(svg.getTagName()).isEqualTo("svg");
        assertThat(svg.getAttribute("class")).isEqualTo("plot");
        assertThat(svg.getAttribute("id")).isEqualTo("plot-cpu");
        assertThat(svg.getAttribute("aria-label")).isEqualTo("CPU <events>");   // escaped in the source, parsed back
        NodeList rects = d.getElementsByTagName("rect");
        Element bar = null, spread = null;
        for (int i = 0; i < rects.getLength(); i++) {
            Element e = (Element) rects.item(i);
            if (e.getAttribute("class").equals("bar")) bar = e;
            if (e.getAttribute("class").equals("spread")) spread = e;
        }
        assertThat(bar).isNotNull();
        assertThat(spread).isNotNull();
        // ratios 0.95, 0.9, 1.0 → median 0.95; scale: (720-210-30)/1.2 px per unit (max(1.2, 1.0*1.1))
        double scale = (720 - 210 - 30) / 1.2;
        assertThat(Double.parseDouble(bar.getAttribute("width"))).isCloseTo(0.95 * scale, org.assertj.core.api.Assertions.within(0.1));
        assertThat(Double.parseDouble(spread.getAttribute("x"))).isCloseTo(210 + 0.925 * scale, org.assertj.core.api.Assertions.within(0.1));
        assertThat(bar.getTextContent()).contains("median 0.950").contains("n=3");
        boolean ref = false;
        NodeList lines = d.getElementsByTagName("line");
        for (int i = 0; i < lines.getLength(); i++) {
            Element e = (Element) lines.item(i);
            if (e.getAttribute("class").equals("ref")) ref = Double.parseDouble(e.getAttribute("x1")) == 210 + scale;
        }
        assertThat(ref).as("a dashed line at ratio 1.0").isTrue();
    }

    @Test void cdfHasOneStepPathPerSeriesEndingAtOne() throws Exception {
        Document d = xml(Svg.plot(cdfFigure()));
        NodeList paths = d.getElementsByTagName("path");
        assertThat(paths.getLength()).isEqualTo(2);
        String path = ((Element) paths.item(0)).getAttribute("d");
        // 4 samples: a step up at each, the last at the top of the plot (y = TOP = 16)
        assertThat(path.split("L")).hasSize(1 + 2 * 4);
        assertThat(path).endsWith(" 16.0");
        assertThat(d.getDocumentElement().getAttribute("data-kind")).isEqualTo("cdf");
    }

    @Test void lineHasAPointPerX() throws Exception {
        Document d = xml(Svg.plot(lineFigure()));
        assertThat(d.getElementsByTagName("circle").getLength()).isEqualTo(3);
        assertThat(((Element) d.getElementsByTagName("path").item(0)).getAttribute("d")).startsWith("M").contains(" L");
    }

    @Test void lineWithNegativeValuesStaysInsideThePlot() throws Exception {
        Figure f = new Figure("d", "D", "line", "MiB");
        f.add(new Figure.Series("noisy", "x", "MiB", List.of(-2.2, -1.4, 0.5), List.of(5.0, 10.0, 20.0)));
        Document d = xml(Svg.plot(f));
        NodeList c = d.getElementsByTagName("circle");
        for (int i = 0; i < c.getLength(); i++) {
            double cy = Double.parseDouble(((Element) c.item(i)).getAttribute("cy"));
            assertThat(cy).isBetween(16.0, 16.0 + 300 - 16 - 70);
        }
    }

    @Test void theLegendOfManySeriesFitsInTheSvg() throws Exception {
        Figure f = new Figure("s", "S", "cdf", "ms");
        for (int i = 0; i < 5; i++) f.add(new Figure.Series("peer " + i, "c", "ms", List.of(1.0 + i, 2.0 + i)));
        Document d = xml(Svg.plot(f));
        double h = Double.parseDouble(d.getDocumentElement().getAttribute("height"));
        NodeList t = d.getElementsByTagName("text");
        for (int i = 0; i < t.getLength(); i++) assertThat(Double.parseDouble(((Element) t.item(i)).getAttribute("y"))).isLessThan(h);
    }

    @Test void niceNumbers() {
        assertThat(Svg.niceCeil(0.23)).isEqualTo(0.25);
        assertThat(Svg.niceCeil(130)).isEqualTo(200);
        assertThat(Svg.niceCeil(1.0)).isEqualTo(1.0);
        assertThat(Svg.num(1234.5)).isEqualTo("1235");
        assertThat(Svg.num(0.9216)).isEqualTo("0.922");
        assertThat(Svg.esc("a<b & \"c\"")).isEqualTo("a&lt;b &amp; &quot;c&quot;");
    }

    Report.Run run() {
        PhaseResult cpu = new PhaseResult("cpu");
        cpu.figures.add(ratioFigure());
        PhaseResult start = new PhaseResult("start");
        start.figures.add(cdfFigure());
        start.skipped.add("crun: cgroups in hybrid mode not supported");
        PhaseResult density = new PhaseResult("density");
        density.figures.add(lineFigure());
        PhaseResult net = PhaseResult.skip("net", "iperf3 not installed");
        Machine m = new Machine(2, "6.18", "hybrid", "cpu", 1024 * 1024, "h");
        return new Report.Run("berth bench --quick", "2026-12-05T00:00:00Z", "2026-12-05T00:01:00Z", m, new double[] {1, 1, 1}, new double[] {2, 2, 2},
                List.of(cpu, start, density, net), List.of(new Report.Published("VM boot", "<= 125 ms", "Spec", "https://example.org/spec", null)));
    }

    @Test void htmlIsSelfContainedWithEveryPlotTableSkipAndCitation() {
        String h = Report.html(run());
        assertThat(h).startsWith("<!DOCTYPE html>");
        Matcher m = Pattern.compile("<svg class=\"plot\" id=\"plot-([a-z-]+)\"").matcher(h);
        List<String> ids = m.results().map(r -> r.group(1)).toList();
        assertThat(ids).containsExactly("cpu", "start", "density");
        // nothing loaded from outside: no src/href attributes, no @import (URLs appear only as citation text)
        assertThat(h).doesNotContainPattern("(src|href)=").doesNotContain("@import").doesNotContain("url(");
        assertThat(h).contains("sysbench cpu run").contains("berth-runc run &amp; sysbench");   // commands, escaped
        assertThat(h).contains("skipped: crun: cgroups in hybrid mode not supported").contains("skipped: iperf3 not installed");
        assertThat(h).contains("published and cited, not measured here").contains("https://example.org/spec");
        assertThat(h).contains("3 runs; load 1.00/2.00/3.00 before, 1.50/2.00/3.00 after");
        assertThat(h).contains("dataset.renderedPlots");
    }

    @Test void jsonHasEverySampleAndSummaries(@TempDir Path dir) throws Exception {
        Report.write(run(), dir);
        JsonNode j = Report.JSON.readTree(dir.resolve("bench.json").toFile());
        JsonNode cpu = j.get("phases").get(0).get("figures").get(0);
        assertThat(cpu.get("series").get(0).get("samples").toString()).isEqualTo("[100.0,110.0,90.0]");
        assertThat(cpu.get("series").get(0).get("summary").get("median").asDouble()).isEqualTo(100.0);
        assertThat(cpu.get("ratios").get(0).get("samples")).hasSize(3);
        assertThat(cpu.get("loadBefore").toString()).isEqualTo("[1.0,2.0,3.0]");
        assertThat(j.get("phases").get(3).get("status").asText()).isEqualTo("skipped");
        assertThat(j.get("machine").get("cgroupLayout").asText()).isEqualTo("hybrid");
        assertThat(j.get("published").get(0).get("url").asText()).isEqualTo("https://example.org/spec");
        assertThat(Files.readString(dir.resolve("report.html"))).contains("plot-start");
        assertThat(Files.readString(dir.resolve("summary.txt"))).contains("container / native").contains("median 0.950");
    }
}
