package dev.berth.cli.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * cpu and memory: the same sysbench command natively and inside a berth container (busybox rootfs
 * with sysbench and its libraries at their host paths), interleaved round by round (the order
 * alternates), each round's container/native quotient a sample of the ratio.
 */
public final class SysbenchPhase {
    private SysbenchPhase() {}

    public static PhaseResult cpu(Context ctx) {
        int secs = ctx.quick ? 2 : 10;
        List<String> cmd = List.of("/usr/bin/sysbench", "cpu", "--threads=1", "--cpu-max-prime=20000", "--time=" + secs, "run");
        PhaseResult r = run(ctx, "cpu", "CPU: sysbench cpu (1 thread), events per second", "events/s", cmd,
                Pattern.compile("events per second:\\s*([0-9.]+)"), ctx.rounds(3, 7));
        // The JVM workload: measured even when sysbench is absent; a missing JDK is a line saying so.
        String noJvm = JvmProbe.unavailable(ctx);
        if (noJvm != null) {
            if (r.status.equals("skipped")) r.reason += "; JVM workload: " + noJvm;
            else r.skipped.add("JVM workload: " + noJvm);
            return r;
        }
        if (r.status.equals("skipped")) {
            r.skipped.add("sysbench cpu: " + r.reason);
            r.status = "ok";
            r.reason = null;
        }
        try {
            r.figures.add(JvmProbe.cpu(ctx));
        } catch (BenchException e) {   // keeps sysbench's figure; an empty phase is a failure
            if (r.figures.isEmpty()) throw e;
            r.skipped.add("JVM workload failed: " + e.getMessage());
        }
        return r;
    }

    public static PhaseResult memory(Context ctx) {
        int secs = ctx.quick ? 2 : 10;
        List<String> cmd = List.of("/usr/bin/sysbench", "memory", "--threads=1", "--memory-block-size=1M", "--memory-total-size=1000G",
                "--memory-oper=write", "--time=" + secs, "run");
        return run(ctx, "memory", "Memory bandwidth: sysbench memory (1 thread, 1 MiB blocks, write), MiB/s", "MiB/s", cmd,
                Pattern.compile("\\(([0-9.]+) MiB/sec\\)"), ctx.rounds(3, 7));
    }

    static PhaseResult run(Context ctx, String phase, String title, String unit, List<String> cmd, Pattern metric, int rounds) {
        PhaseResult r = new PhaseResult(phase);
        if (Proc.which("sysbench") == null) return PhaseResult.skip(phase, "sysbench not installed (apt-get install sysbench)");
        Containers cs = new Containers(ctx, phase);
        Path bundle = Bundles.create(ctx, ctx.work.resolve("bundle-" + phase), cmd, List.of("/usr/bin/sysbench"), null);
        Figure f = new Figure(phase, title, "ratio", unit);
        f.loadBefore = Machine.loadAverage();
        List<Double> nat = new ArrayList<>(), con = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            boolean nativeFirst = i % 2 == 0;
            for (int k = 0; k < 2; k++) {
                boolean isNative = (k == 0) == nativeFirst;
                Proc.Result res = isNative ? Proc.run(120, cmd).check() : cs.run(bundle, 120);
                (isNative ? nat : con).add(parse(metric, res.out(), String.join(" ", cmd)));
            }
            ctx.progress(phase, String.format("round %d/%d: native %.1f, container %.1f %s", i + 1, rounds, nat.getLast(), con.getLast(), unit));
        }
        f.loadAfter = Machine.loadAverage();
        f.runs = rounds;
        String c = String.join(" ", cmd);
        Figure.Series n = new Figure.Series("native", c, unit, nat);
        Figure.Series k = new Figure.Series("berth container", ctx.berthRunc() + " run (bundle: busybox rootfs + sysbench; process: " + c + ")", unit, con);
        f.add(n).add(k).ratio("container / native", k, n);
        f.note("rounds interleaved, order alternating; higher is better; a ratio of 1.0 is native speed");
        r.figures.add(f);
        return r;
    }

    static double parse(Pattern p, String out, String cmd) {
        Matcher m = p.matcher(out);
        if (!m.find()) throw new BenchException(cmd + ": no figure in its output: " + Proc.tail(out));
        return Double.parseDouble(m.group(1));
    }
}
