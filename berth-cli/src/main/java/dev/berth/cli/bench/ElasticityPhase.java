package dev.berth.cli.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Elasticity: a live {@code berth-runc update} of a running container's CPU quota, felt by its
 * process. The container runs a busy loop (busybox sh); a sampler reads the loop's own on-CPU
 * time (/proc/PID/schedstat, nanoseconds) every ~2 ms. Each round: unlimited, then
 * {@code update --cpu-period 20000 --cpu-quota 1000} (5 % of a CPU), then back to
 * {@code --cpu-quota -1}. Down: the time from invoking update to the end of the first window (three
 * periods, 60 ms) from which the rate stays at or below 2× the new limit for 200 ms — an upper
 * bound, the window included. Up: the time until a window after the unlimit first exceeds that.
 * Both include the update command itself.
 */
final class ElasticityPhase {
    private ElasticityPhase() {}

    static final long PERIOD_US = 20000, QUOTA_US = 1000;
    static final double LIMIT = QUOTA_US / (double) PERIOD_US, THRESHOLD = 2 * LIMIT;
    // Three periods: a window not aligned with the periods still holds at most four quota slices (6.7 % < 10 %).
    static final long WINDOW_NS = 3 * PERIOD_US * 1000, SETTLE_NS = 200_000_000L;

    static PhaseResult run(Context ctx) {
        PhaseResult r = new PhaseResult("elasticity");
        Path bundle = Bundles.create(ctx, ctx.work.resolve("bundle-elastic"), List.of("sh", "-c", "while :; do :; done"), List.of(), null);
        Containers cs = new Containers(ctx, "elastic");
        String id = cs.runDetached(bundle, ctx.name("e"));
        long pid = cs.pid(id);
        Path schedstat = Path.of("/proc/" + pid + "/schedstat");
        int rounds = ctx.rounds(3, 10);
        List<Double> down = new ArrayList<>(), up = new ArrayList<>(), updDown = new ArrayList<>(), updUp = new ArrayList<>();
        List<Double> traceX = new ArrayList<>(), traceY = new ArrayList<>();
        Figure f = new Figure("elasticity", "Elasticity: time from a live cpu-quota update until the container's process runs at its new rate, ms", "cdf", "ms");
        f.loadBefore = Machine.loadAverage();
        List<String> limit = cs.argv("update", "--cpu-period", String.valueOf(PERIOD_US), "--cpu-quota", String.valueOf(QUOTA_US), id);
        List<String> unlimit = cs.argv("update", "--cpu-quota", "-1", id);
        for (int i = 0; i < rounds; i++) {
            Sampler s = new Sampler(schedstat);
            s.start();
            sleep(400);
            long t0 = System.nanoTime();
            Proc.Result a = Proc.run(60, limit).check();
            updDown.add(a.millis());
            sleep(700);
            long t1 = System.nanoTime();
            Proc.Result b = Proc.run(60, unlimit).check();
            updUp.add(b.millis());
            sleep(500);
            s.stop();
            double d = s.settledBelow(t0, t1), u = s.firstAbove(t1);
            if (Double.isNaN(d) || Double.isNaN(u)) {
                r.skipped.add("round " + (i + 1) + ": the change was not seen within the round (" + (Double.isNaN(d) ? "down" : "up") + "); sampled rate before: "
                        + String.format("%.0f %%", 100 * s.rate(t0 - 300_000_000L, t0)));
            } else {
                down.add(d); up.add(u);
            }
            if (i == 0) s.trace(t0, traceX, traceY);
            ctx.progress("elasticity", String.format("round %d/%d: limited after %.1f ms, unlimited after %.1f ms (update itself %.1f / %.1f ms)", i + 1, rounds, d, u, a.millis(), b.millis()));
        }
        f.loadAfter = Machine.loadAverage();
        f.runs = rounds;
        if (down.isEmpty()) throw new BenchException("no round saw the change (the machine may be too loaded for a 5 % limit to show)");
        f.add(new Figure.Series("down: unlimited → 5 % of a CPU", String.join(" ", limit), "ms", down));
        f.add(new Figure.Series("up: 5 % → unlimited", String.join(" ", unlimit), "ms", up));
        f.add(new Figure.Series("the update command alone (down)", String.join(" ", limit), "ms", updDown));
        f.note("the process's rate: its on-CPU time from /proc/PID/schedstat sampled every ~2 ms, over a " + WINDOW_NS / 1_000_000 + " ms window (three CFS periods); down = end of the first window from which the rate stays ≤ "
                + Math.round(THRESHOLD * 100) + " % for 200 ms (an upper bound: the window is included), up = first window above it; measured from invoking update");
        f.note("for comparison, a VM needs a reboot or a balloon/hotplug protocol for the same change (not measured here)");
        r.figures.add(f);
        Figure t = new Figure("elasticity-trace", "Elasticity: the container's CPU rate around the first round's updates, % of one CPU", "line", "%");
        t.add(new Figure.Series("busy loop's rate (" + WINDOW_NS / 1_000_000 + " ms window)", "/proc/" + pid + "/schedstat", "%", traceY, traceX));
        t.note("x: ms since `update --cpu-quota " + QUOTA_US + "` was invoked (the unlimit follows ~700 ms later)");
        t.loadBefore = f.loadBefore; t.loadAfter = f.loadAfter; t.runs = 1;
        r.figures.add(t);
        return r;
    }

    /** Samples (time, on-CPU ns) of one task on a thread of its own. */
    static final class Sampler implements Runnable {
        final Path file;
        final long[] ts = new long[200_000], cpu = new long[200_000];
        volatile int n;
        volatile boolean running = true;
        Thread thread;

        Sampler(Path file) { this.file = file; }

        void start() { thread = Thread.ofPlatform().daemon().start(this); }

        void stop() { running = false; try { thread.join(); } catch (InterruptedException e) { Thread.currentThread().interrupt(); } }

        @Override public void run() {
            while (running && n < ts.length) {
                try {
                    String s = Files.readString(file);
                    long c = Long.parseLong(s.substring(0, s.indexOf(' ')));
                    ts[n] = System.nanoTime(); cpu[n] = c; n++;
                } catch (IOException | RuntimeException e) { return; }
                java.util.concurrent.locks.LockSupport.parkNanos(2_000_000);
            }
        }

        /** On-CPU fraction between two times (interpolating between samples). */
        double rate(long from, long to) { return (at(to) - at(from)) / (double) (to - from); }

        double at(long t) {
            int i = 0;
            while (i < n - 1 && ts[i + 1] < t) i++;
            if (i >= n - 1) return cpu[n - 1];
            if (t <= ts[i]) return cpu[i];
            return cpu[i] + (cpu[i + 1] - cpu[i]) * (double) (t - ts[i]) / (ts[i + 1] - ts[i]);
        }

        /** ms from t0 until every window ending in the next 200 ms has a rate ≤ THRESHOLD; NaN if never before end. */
        double settledBelow(long t0, long end) {
            for (int i = 0; i < n; i++) {
                if (ts[i] < t0 + WINDOW_NS) continue;
                if (ts[i] + SETTLE_NS > end) break;
                boolean ok = true;
                for (int k = i; k < n && ts[k] <= ts[i] + SETTLE_NS && ok; k++) ok = rate(ts[k] - WINDOW_NS, ts[k]) <= THRESHOLD;
                if (ok) return (ts[i] - t0) / 1e6;   // the end of the first settled window: an upper bound
            }
            return Double.NaN;
        }

        /** ms from t1 until the first window after it with a rate above THRESHOLD; NaN if none. */
        double firstAbove(long t1) {
            for (int i = 0; i < n; i++) {
                if (ts[i] < t1 + 1_000_000) continue;
                long from = Math.max(t1, ts[i] - WINDOW_NS);
                if (ts[i] - from >= 2_000_000 && rate(from, ts[i]) > THRESHOLD) return (ts[i] - t1) / 1e6;
            }
            return Double.NaN;
        }

        void trace(long t0, List<Double> xs, List<Double> ys) {
            for (int i = 0; i < n; i += 5) {
                if (ts[i] - WINDOW_NS < ts[0]) continue;
                xs.add((ts[i] - t0) / 1e6);
                ys.add(100 * Math.max(0, rate(ts[i] - WINDOW_NS, ts[i])));
            }
        }
    }

    static void sleep(long ms) { try { Thread.sleep(ms); } catch (InterruptedException e) { Thread.currentThread().interrupt(); } }
}
