package dev.berth.cli.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Density: N idle containers (busybox sleep) started one after the other with
 * {@code berth-runc run -d}, N growing in steps (default 100, 500, 1000; --quick 10, 20, 40;
 * --density). At each step: the drop of MemAvailable since before the first, the PSS of the
 * containers' own processes (init, monitor, keeper), and so the memory per container beyond its
 * processes (kernel objects, cgroups, namespaces, mounts, page tables); the kernel's slab, stacks
 * and page tables grown; the start time of the Nth. The machine is shared: other work moves
 * MemAvailable too, which is why the kernel counters are shown beside it.
 */
final class DensityPhase {
    private DensityPhase() {}

    static PhaseResult run(Context ctx) {
        PhaseResult r = new PhaseResult("density");
        int[] steps = steps(ctx);
        Path bundle = Bundles.create(ctx, ctx.work.resolve("bundle-density"), List.of("sleep", "1000000"), List.of(), null);
        Containers cs = new Containers(ctx, "density");
        List<String> ids = new ArrayList<>();
        ctx.onClose(() -> deleteParallel(cs, ids));
        double[] before = Machine.loadAverage();
        long avail0 = Machine.meminfo("MemAvailable"), kern0 = kernel();
        List<Double> xs = new ArrayList<>(), beyond = new ArrayList<>(), pss = new ArrayList<>(), kern = new ArrayList<>(), total = new ArrayList<>(), nth = new ArrayList<>();
        for (int n : steps) {
            double lastMs = 0;
            while (ids.size() < n) {
                String id = ctx.name("d");
                long t0 = System.nanoTime();
                cs.runDetached(bundle, id);
                lastMs = (System.nanoTime() - t0) / 1e6;
                ids.add(id);
            }
            long avail = Machine.meminfo("MemAvailable"), k = kernel();
            long pssKib = 0;
            for (String id : ids) pssKib += pssOf(cs.pid(id));
            double usedPer = (avail0 - avail) / (double) n / 1024, pssPer = pssKib / (double) n / 1024;
            xs.add((double) n);
            total.add(usedPer);
            pss.add(pssPer);
            beyond.add(usedPer - pssPer);
            kern.add((k - kern0) / (double) n / 1024);
            nth.add(lastMs);
            ctx.progress("density", String.format("%d running: %.2f MiB each (processes' PSS %.2f, beyond %.2f), start of the %dth %.0f ms", n, usedPer, pssPer, usedPer - pssPer, n, lastMs));
        }
        double[] after = Machine.loadAverage();
        String cmd = ctx.berthRunc() + " --root R run -d --bundle B ID (busybox: sleep 1000000)";
        Figure f = new Figure("density", "Density: memory per idle container as N grows, MiB", "line", "MiB");
        f.add(new Figure.Series("its processes' PSS (init, monitor, keeper)", cmd + "; /proc/PID/smaps_rollup", "MiB", pss, xs));
        f.add(new Figure.Series("beyond its processes: kernel slab + stacks + page tables", "/proc/meminfo Slab+KernelStack+PageTables growth, per container", "MiB", kern, xs));
        f.add(new Figure.Series("MemAvailable drop per container (all causes)", cmd + "; /proc/meminfo MemAvailable", "MiB", total, xs));
        f.add(new Figure.Series("MemAvailable drop − PSS (noisy on a shared machine)", "MemAvailable drop − PSS, per container", "MiB", beyond, xs));
        if (beyond.stream().anyMatch(v -> v < 0))
            f.note("MemAvailable rose while containers were added (other work on this machine freed memory): the MemAvailable-based estimate is unusable in this run; the kernel counters are the figure beyond the processes");
        f.note("x: containers running (N)");
        f.note("one run, containers started one after the other and left running through the steps; the machine is shared, so MemAvailable moves with other work too");
        f.loadBefore = before; f.loadAfter = after; f.runs = 1;
        Figure g = new Figure("density-start", "Density: start time of the Nth container (run -d), ms", "line", "ms");
        g.add(new Figure.Series("berth-runc run -d of the Nth", cmd, "ms", nth, xs));
        g.note("x: containers already running (N)");
        g.loadBefore = before; g.loadAfter = after; g.runs = 1;
        r.figures.add(f);
        r.figures.add(g);
        return r;
    }

    static int[] steps(Context ctx) {
        String p = System.getProperty("berth.bench.density");
        if (p != null) return Arrays.stream(p.split(",")).mapToInt(Integer::parseInt).sorted().toArray();
        return ctx.quick ? new int[] {5, 10, 20} : new int[] {100, 500, 1000};
    }

    static long kernel() { return Machine.meminfo("Slab") + Machine.meminfo("KernelStack") + Machine.meminfo("PageTables"); }

    /** PSS in KiB of a container's init and of its berth-launch ancestors (monitor, keeper). */
    static long pssOf(long init) {
        long sum = 0;
        for (long p = init; p > 1; ) {
            sum += pss(p);
            long pp = ppid(p);
            if (pp <= 1 || !isLauncher(pp)) break;
            p = pp;
        }
        return sum;
    }

    static boolean isLauncher(long pid) {
        try {
            String c = Files.readString(Path.of("/proc/" + pid + "/cmdline"));
            return c.contains("berth-launch");
        } catch (IOException e) { return false; }
    }

    static long ppid(long pid) {
        try {
            String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return Long.parseLong(s.substring(s.lastIndexOf(')') + 2).split(" ")[1]);
        } catch (IOException | RuntimeException e) { return -1; }
    }

    static long pss(long pid) {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/smaps_rollup")))
                if (l.startsWith("Pss:")) return Long.parseLong(l.substring(4).trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) { /* gone */ }
        return 0;
    }

    static void deleteParallel(Containers cs, List<String> ids) {
        ExecutorService ex = Executors.newFixedThreadPool(4);
        for (String id : ids) ex.submit(() -> cs.delete(id));
        ex.shutdown();
        try { ex.awaitTermination(30, TimeUnit.MINUTES); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
    }
}
