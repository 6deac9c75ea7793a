package dev.berth.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Disk: one fio command (4 KiB random read, 4 KiB random write, 1 MiB sequential write and read,
 * one after the other) on the host filesystem natively, in a berth container on its overlay upper
 * layer (an overlayfs root whose upper dir is on the same host filesystem) and in the same container
 * on a bind-mounted volume dir; the three interleaved round by round. O_DIRECT (--direct=1) where the
 * filesystem takes it, so the page cache is not what is measured.
 */
final class DiskPhase {
    private DiskPhase() {}

    static final String[][] JOBS = {{"randread", "randread", "4k", "iops"}, {"randwrite", "randwrite", "4k", "iops"},
            {"seqwrite", "write", "1M", "bw"}, {"seqread", "read", "1M", "bw"}};

    static PhaseResult run(Context ctx) {
        PhaseResult r = new PhaseResult("disk");
        if (Proc.which("fio") == null) return PhaseResult.skip("disk", "fio not installed (apt-get install fio)");
        String size = ctx.quick ? "16M" : "512M";
        int secs = ctx.quick ? 1 : 5, rounds = ctx.rounds(2, 5);
        Path hostDir = ctx.work.resolve("disk-host"), volDir = ctx.work.resolve("disk-vol"), ovl = ctx.work.resolve("ovl");
        Path bundleDir = ctx.work.resolve("bundle-disk");
        try {
            Files.createDirectories(hostDir); Files.createDirectories(volDir);
            for (String d : List.of("upper", "work", "merged")) Files.createDirectories(ovl.resolve(d));
        } catch (IOException e) { throw new BenchException(e.getMessage()); }
        boolean direct = Proc.run(60, "dd", "if=/dev/zero", "of=" + hostDir.resolve("probe"), "bs=4096", "count=1", "oflag=direct").ok();
        List<String> fio = new ArrayList<>(List.of("/usr/bin/fio", "--output-format=json", "--ioengine=psync", "--direct=" + (direct ? 1 : 0),
                "--size=" + size, "--runtime=" + secs, "--time_based", "--group_reporting"));
        for (String[] j : JOBS) fio.addAll(List.of("--name=" + j[0], "--rw=" + j[1], "--bs=" + j[2], "--stonewall"));
        // The container: rootfs = overlay (lower: the busybox rootfs with fio; upper: a dir on the host fs).
        Bundles.create(ctx, bundleDir, List.of("sh"), List.of("/usr/bin/fio"), c -> {
            ((com.fasterxml.jackson.databind.node.ObjectNode) c.get("root")).put("path", ovl.resolve("merged").toString()).put("readonly", false);
            Bundles.bind(c, volDir.toString(), "/vol", false);
        });
        Proc.run(60, "mount", "-t", "overlay", "overlay", "-o", "lowerdir=" + bundleDir.resolve("rootfs") + ",upperdir=" + ovl.resolve("upper")
                + ",workdir=" + ovl.resolve("work"), ovl.resolve("merged").toString()).check();
        ctx.onClose(() -> Proc.run(60, "umount", "-l", ovl.resolve("merged").toString()));
        try {
            Files.createDirectories(ovl.resolve("merged/data"));
            Files.createDirectories(ovl.resolve("merged/vol"));
        } catch (IOException e) { throw new BenchException(e.getMessage()); }
        Containers cs = new Containers(ctx, "disk");
        Map<String, List<String>> sides = new LinkedHashMap<>();
        sides.put("host fs (native)", with(fio, "--directory=" + hostDir));
        sides.put("container overlay upper", with(fio, "--directory=/data"));
        sides.put("container volume (bind)", with(fio, "--directory=/vol"));
        Map<String, Map<String, List<Double>>> samples = new LinkedHashMap<>();   // side → job → values
        for (String s : sides.keySet()) { samples.put(s, new LinkedHashMap<>()); for (String[] j : JOBS) samples.get(s).put(j[0], new ArrayList<>()); }
        List<String> names = new ArrayList<>(sides.keySet());
        double[] before = Machine.loadAverage();
        for (int i = 0; i < rounds; i++) {
            for (int k = 0; k < names.size(); k++) {
                String side = names.get(Math.floorMod(k + i, names.size()));
                List<String> cmd = sides.get(side);
                String out;
                if (side.startsWith("host")) out = Proc.run(600, cmd).check().out();
                else {
                    Bundles.editConfig(bundleDir, c -> {
                        var args = ((com.fasterxml.jackson.databind.node.ObjectNode) c.get("process")).putArray("args");
                        cmd.forEach(args::add);
                    });
                    out = cs.run(bundleDir, 600).out();
                }
                parse(out, samples.get(side), String.join(" ", cmd));
            }
            ctx.progress("disk", "round " + (i + 1) + "/" + rounds);
        }
        double[] after = Machine.loadAverage();
        for (String[] j : JOBS) {
            String unit = j[3].equals("iops") ? "IOPS" : "MiB/s";
            Figure f = new Figure("disk-" + j[0], "Disk: fio " + j[0] + " (" + j[2] + " blocks, " + size + " file, " + secs + " s, direct=" + (direct ? 1 : 0) + "), " + unit, "ratio", unit);
            f.loadBefore = before; f.loadAfter = after; f.runs = rounds;
            List<Figure.Series> ss = new ArrayList<>();
            for (String side : names) {
                Figure.Series s = new Figure.Series(side, (side.startsWith("host") ? "" : ctx.berthRunc() + " run: ") + String.join(" ", sides.get(side)), unit, samples.get(side).get(j[0]));
                ss.add(s); f.add(s);
            }
            f.ratio("overlay upper / host fs", ss.get(1), ss.get(0)).ratio("volume / host fs", ss.get(2), ss.get(0));
            f.note("the three sides interleaved, order rotating each round; higher is better; all on the same host filesystem ("
                    + Proc.run(30, "findmnt", "-no", "FSTYPE,SOURCE", "-T", hostDir.toString()).out().strip() + ")");
            if (!direct) f.note("O_DIRECT not supported on this filesystem: buffered I/O (the page cache is part of the figure)");
            r.figures.add(f);
        }
        return r;
    }

    static List<String> with(List<String> base, String opt) {
        List<String> c = new ArrayList<>(base);
        c.add(1, opt);
        return c;
    }

    static void parse(String out, Map<String, List<Double>> into, String cmd) {
        try {
            int brace = out.indexOf('{');   // fio may print a note before its JSON
            JsonNode jobs = Bundles.JSON.readTree(out.substring(Math.max(0, brace))).get("jobs");
            for (JsonNode job : jobs) {
                String name = job.get("jobname").asText();
                for (String[] j : JOBS) {
                    if (!j[0].equals(name)) continue;
                    JsonNode io = job.get(j[1].contains("read") ? "read" : "write");
                    into.get(name).add(j[3].equals("iops") ? io.get("iops").asDouble() : io.get("bw").asDouble() / 1024.0);
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new BenchException(cmd + ": unreadable fio output: " + Proc.tail(out));
        }
    }
}
