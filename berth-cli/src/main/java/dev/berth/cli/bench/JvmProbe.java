package dev.berth.cli.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The JVM workloads of the cpu and net phases: the repository's bench/BenchProbe.java compiled
 * once into the phase's work directory by a JDK 25 (Temurin's at /usr/lib/jvm/temurin-25-jdk-amd64,
 * else the one running the bench), then run by the same {@code java} command natively and in a
 * berth container; the container sees the JDK and the classes bind-mounted read-only at their host
 * paths, and the C libraries the JVM links placed in its rootfs like sysbench's.
 */
final class JvmProbe {
    static final String TEMURIN = "/usr/lib/jvm/temurin-25-jdk-amd64";
    final String jdk, classes;

    private JvmProbe(String jdk, String classes) { this.jdk = jdk; this.classes = classes; }

    /** Why no JVM workload can run here, or null. */
    static String unavailable(Context ctx) {
        if (jdkHome() == null) return "no JDK with javac at " + TEMURIN + " or java.home (install Temurin 25)";
        if (!Files.isRegularFile(ctx.repo.resolve("bench/BenchProbe.java"))) return "bench/BenchProbe.java missing from " + ctx.repo;
        return null;
    }

    static String jdkHome() {
        for (String h : List.of(TEMURIN, System.getProperty("java.home", "")))
            if (!h.isEmpty() && Files.isExecutable(Path.of(h, "bin/javac")) && Files.isExecutable(Path.of(h, "bin/java"))) {
                try { return Path.of(h).toRealPath().toString(); } catch (java.io.IOException e) { return h; }
            }
        return null;
    }

    /** Compiles bench/BenchProbe.java into ctx.work/probe-classes. */
    static JvmProbe compile(Context ctx) {
        String jdk = jdkHome();
        Path out = ctx.work.resolve("probe-classes");
        Proc.run(180, jdk + "/bin/javac", "-d", out.toString(), ctx.repo.resolve("bench/BenchProbe.java").toString()).check();
        return new JvmProbe(jdk, out.toString());
    }

    /** {@code java ... BenchProbe ARGS}: the same argv natively and in the container. */
    List<String> argv(String... args) {
        List<String> c = new ArrayList<>(List.of(jdk + "/bin/java", "-XX:+UseSerialGC", "-XX:-UsePerfData", "-Xmx128m", "-cp", classes, "BenchProbe"));
        c.addAll(List.of(args));
        return c;
    }

    /** A bundle running argv in a container that sees the JDK and the classes (read-only), plus edit. */
    Path bundle(Context ctx, Path dir, List<String> argv, java.util.function.Consumer<ObjectNode> edit) {
        return Bundles.create(ctx, dir, argv, List.of(jdk + "/lib/server/libjvm.so"), c -> {
            Bundles.bind(c, jdk, jdk, true);
            Bundles.bind(c, classes, classes, true);
            Bundles.tmpfs(c, "/tmp");
            if (edit != null) edit.accept(c);
        });
    }

    static double figure(String out, String key, String cmd) {
        return SysbenchPhase.parse(Pattern.compile(Pattern.quote(key) + ":\\s*([0-9.]+)"), out, cmd);
    }

    /** cpu: BenchProbe's integer workload natively vs in a berth container, interleaved. */
    static Figure cpu(Context ctx) {
        JvmProbe p = compile(ctx);
        int secs = ctx.quick ? 2 : 10, rounds = ctx.rounds(3, 7);
        List<String> cmd = p.argv("cpu", String.valueOf(secs));
        Path bundle = p.bundle(ctx, ctx.work.resolve("bundle-jvm"), cmd, null);
        Containers cs = new Containers(ctx, "jvm");
        Figure f = new Figure("cpu-jvm", "CPU: a JVM workload (bench/BenchProbe.java cpu, 1 thread, after 1 s warm-up), ops per second", "ratio", "ops/s");
        f.loadBefore = Machine.loadAverage();
        List<Double> nat = new ArrayList<>(), con = new ArrayList<>();
        String c = String.join(" ", cmd);
        for (int i = 0; i < rounds; i++) {
            for (int k = 0; k < 2; k++) {
                boolean isNative = (k == 0) == (i % 2 == 0);
                String out = isNative ? Proc.run(180, cmd).check().out() : cs.run(bundle, 180).out();
                (isNative ? nat : con).add(figure(out, "ops/s", c));
            }
            ctx.progress("cpu", String.format("jvm round %d/%d: native %.1f, container %.1f ops/s", i + 1, rounds, nat.getLast(), con.getLast()));
        }
        f.loadAfter = Machine.loadAverage();
        f.runs = rounds;
        Figure.Series n = new Figure.Series("native (JVM)", c, "ops/s", nat);
        Figure.Series k = new Figure.Series("berth container (JVM)", ctx.berthRunc() + " run (bundle: busybox rootfs + the JDK and classes bind-mounted read-only; process: " + c + ")", "ops/s", con);
        f.add(n).add(k).ratio("container / native (JVM)", k, n);
        f.note("JDK " + p.jdk + "; the timed loop excludes JVM start-up and 1 s of warm-up (JIT); rounds interleaved, order alternating; higher is better");
        return f;
    }
    /**
     * net: BenchProbe's closed-loop TCP request/response client (one connection, 64-byte messages)
     * against its echo server on the host, natively over loopback and from a container in netns ns
     * to the bridge's address gw; each round gives p50, p99 and round trips per second.
     */
    static Figure latency(Context ctx, String ns, String gw) {
        JvmProbe p = compile(ctx);
        int port = NetPhase.freePort();
        int secs = ctx.quick ? 2 : 10, rounds = ctx.rounds(3, 7), size = 64;
        Process server;
        Path log = ctx.work.resolve("probe-server.log");
        try {
            server = new ProcessBuilder(p.argv("server", String.valueOf(port))).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (java.io.IOException e) { throw new BenchException("BenchProbe server: " + e.getMessage()); }
        ctx.onClose(() -> { server.destroy(); try { server.waitFor(); } catch (InterruptedException e) { Thread.currentThread().interrupt(); } });
        for (int i = 0; i < 600 && server.isAlive(); i++) {
            try { if (Files.readString(log).contains("listening")) break; } catch (java.io.IOException e) { /* not yet */ }
            NetPhase.sleep(100);
        }
        if (!server.isAlive()) {
            String why;
            try { why = Files.readString(log); } catch (java.io.IOException e) { why = e.getMessage(); }
            throw new BenchException("BenchProbe echo server exited: " + Proc.tail(why));
        }
        List<String> loop = p.argv("client", "127.0.0.1", String.valueOf(port), String.valueOf(secs), String.valueOf(size));
        List<String> bridged = p.argv("client", gw, String.valueOf(port), String.valueOf(secs), String.valueOf(size));
        Path bundle = p.bundle(ctx, ctx.work.resolve("bundle-rr"), bridged, c -> Bundles.netns(c, "/run/netns/" + ns));
        Containers cs = new Containers(ctx, "rr");
        List<Double> h50 = new ArrayList<>(), h99 = new ArrayList<>(), hrt = new ArrayList<>(), c50 = new ArrayList<>(), c99 = new ArrayList<>(), crt = new ArrayList<>();
        Figure f = new Figure("net-rr", "Network: TCP request/response (1 connection, " + size + "-byte messages, closed loop, " + secs + " s), latency µs", "ratio", "µs");
        f.loadBefore = Machine.loadAverage();
        String lc = String.join(" ", loop), bc = String.join(" ", bridged);
        for (int i = 0; i < rounds; i++) {
            for (int k = 0; k < 2; k++) {
                boolean host = (k == 0) == (i % 2 == 0);
                String out = host ? Proc.run(180, loop).check().out() : cs.run(bundle, 180).out();
                String cmd = host ? lc : bc;
                (host ? h50 : c50).add(figure(out, "p50_us", cmd));
                (host ? h99 : c99).add(figure(out, "p99_us", cmd));
                (host ? hrt : crt).add(figure(out, "rt/s", cmd));
            }
            ctx.progress("net", String.format("rr round %d/%d: loopback p50 %.1f µs, container over the bridge p50 %.1f µs", i + 1, rounds, h50.getLast(), c50.getLast()));
        }
        f.loadAfter = Machine.loadAverage();
        f.runs = rounds;
        String cc = ctx.berthRunc() + " run (netns " + ns + "; the JDK and classes bind-mounted read-only): " + bc;
        Figure.Series hp50 = new Figure.Series("host loopback p50", lc, "µs", h50), cp50 = new Figure.Series("container → host p50", cc, "µs", c50);
        Figure.Series hp99 = new Figure.Series("host loopback p99", lc, "µs", h99), cp99 = new Figure.Series("container → host p99", cc, "µs", c99);
        Figure.Series hr = new Figure.Series("host loopback round trips/s", lc, "rt/s", hrt), cr = new Figure.Series("container → host round trips/s", cc, "rt/s", crt);
        f.add(hp50).add(cp50).add(hp99).add(cp99).add(hr).add(cr);
        f.ratio("p50 container / loopback", cp50, hp50).ratio("p99 container / loopback", cp99, hp99).ratio("round trips/s container / loopback", cr, hr);
        f.note("server: " + String.join(" ", p.argv("server", String.valueOf(port))) + " on the host; client after 0.5 s warm-up; each round's p50/p99 from every round trip of that run");
        f.note("rounds interleaved, order alternating; latency ratios above 1.0 mean the container path is slower, the round-trip ratio below 1.0 likewise");
        return f;
    }
}
