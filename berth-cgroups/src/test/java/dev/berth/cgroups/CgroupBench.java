package dev.berth.cgroups;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Not a unit test: a benchmark, run as root on a real host with
 * {@code ./mvnw -q -B -o -pl berth-cgroups exec:java -Dexec.mainClass=dev.berth.cgroups.CgroupBench -Dexec.classpathScope=test}
 * or directly with java -cp target/classes:target/test-classes.
 *
 * <p>Measures, per iteration, on this host's layout: (1) create + apply limits + join (a running
 * process written into cgroup.procs of every hierarchy) + remove (the process moved out, rmdir
 * everywhere), and beside it the same kernel work done by bare C ({@code cgroup-floor.c}, a test
 * resource compiled with {@code cc} at bench time, replaying the mkdirs and control-file writes
 * berth recorded for one container; run in blocks alternating with berth's);
 * (2) create + apply + join + destroy that SIGKILLs the process and waits;
 * (3) update of memory and cpu on a populated cgroup. Prints min/median/p90 in microseconds.
 * If runc is installed and a container can be started with rootfs "/", times {@code runc update}
 * of memory and cpu on it in the same run.
 */
public final class CgroupBench {
    static final Resources LIMITS = Resources.empty()
            .withMemory(Resources.Memory.limit(256L << 20).withSwap(256L << 20))
            .withCpu(Resources.Cpu.of().withShares(512L).withQuota(50_000L, 100_000L))
            .withPids(Resources.Pids.limit(128));

    /**
     * Iterations before measuring: a method called once per container (create, mkdirs, destroy, ...)
     * needs thousands of calls before C2 compiles it; with fewer, the measurement is of profiled C1
     * code. (The cold path of berth-runc, one container per JVM, is measured with BERTH_TRACE.)
     */
    static final int WARMUP = Integer.getInteger("berth.bench.warmup", 3000);

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        CgroupLayout layout = CgroupLayout.detect();
        System.out.println("layout: " + layout.describe());
        Process sleeper = new ProcessBuilder("sleep", "600").start();
        int pid = (int) sleeper.pid();
        try {
            for (int i = 0; i < WARMUP; i++) joinLeave(layout, "berth-bench-warm-" + i, pid); // JIT warm-up: every per-container method reaches C2
            // The C floor replays what berth wrote for one container (recorded after the warm-up, so
            // /berth exists as it does for every later container), in blocks alternating with berth's
            // so both see the same load.
            Path floor = compileFloor();
            String spec = floorSpec(layout, pid);
            int blocks = Math.min(n, 15), per = Math.max(1, n / blocks);
            long[] t = new long[per * blocks], noLeave = new long[per * blocks];
            long[] ft = floor == null ? null : new long[per * blocks], fNoLeave = floor == null ? null : new long[per * blocks];
            for (int b = 0; b < blocks; b++) {
                for (int k = 0; k < per; k++) {
                    int i = b * per + k;
                    long s = System.nanoTime();
                    long leave = joinLeave(layout, "berth-bench-" + i, pid);
                    t[i] = System.nanoTime() - s;
                    noLeave[i] = t[i] - leave;
                }
                if (floor != null) runFloor(floor, spec, per, pid, "berth-bench-c" + b + "-", ft, fNoLeave, b * per);
            }
            print("create+apply+join+remove (incl. move-out)", t);
            print("create+apply+join+remove (excl. move-out)", noLeave);
            if (floor != null) {
                print("same kernel work in bare C (incl. move-out)", ft);
                print("same kernel work in bare C (excl. move-out)", fNoLeave);
                System.out.printf("berth / bare C (medians, incl. move-out): %.2fx%n", (double) median(t) / median(ft));
            }

            int k = Math.min(n, 50);
            long[] tk = new long[k];
            for (int i = 0; i < k; i++) {
                Process p = new ProcessBuilder("sleep", "600").start();
                long s = System.nanoTime();
                CgroupManager m = CgroupManagers.open(null, "berth-bench-kill-" + i, layout);
                m.create(LIMITS);
                m.addProcess((int) p.pid());
                m.destroy();
                tk[i] = System.nanoTime() - s;
                p.waitFor(5, TimeUnit.SECONDS);
            }
            print("create+apply+join+destroy(SIGKILL, wait)", tk);

            CgroupManager m = CgroupManagers.open(null, "berth-bench-update", layout);
            m.create(LIMITS);
            m.addProcess(pid);
            long[] tu = new long[n];
            for (int i = 0; i < n; i++) {
                long mem = (i % 2 == 0 ? 300L : 200L) << 20;
                Resources u = Resources.empty().withMemory(Resources.Memory.limit(mem).withSwap(mem))
                        .withCpu(Resources.Cpu.of().withQuota(i % 2 == 0 ? 40_000L : 60_000L, 100_000L).withShares(i % 2 == 0 ? 256L : 512L));
                long s = System.nanoTime();
                m.update(u);
                tu[i] = System.nanoTime() - s;
            }
            print("update memory+cpu (live)", tu);
            m.destroy();
            runcUpdate(n);
        } finally {
            sleeper.destroyForcibly();
        }
    }

    /** Returns the nanoseconds spent moving the process back out (what a container's exit does for free). */
    static long joinLeave(CgroupLayout layout, String id, int pid) {
        CgroupManager m = CgroupManagers.open(null, id, layout);
        m.create(LIMITS);
        m.addProcess(pid);
        long s = System.nanoTime();
        for (Path p : m.paths()) dev.berth.cgroups.fs.CgroupFiles.write(root(p).resolve("cgroup.procs"), Integer.toString(pid));
        long leave = System.nanoTime() - s;
        m.destroy();
        return leave;
    }

    /** The bench's C floor, compiled from the test resource with the system C compiler; null if there is none. */
    static Path compileFloor() throws Exception {
        Path dir = Files.createTempDirectory("berth-bench-floor");
        dir.toFile().deleteOnExit();
        Path src = dir.resolve("cgroup-floor.c"), bin = dir.resolve("cgroup-floor");
        try (var in = CgroupBench.class.getResourceAsStream("cgroup-floor.c")) {
            Files.copy(in, src);
        }
        src.toFile().deleteOnExit();
        bin.toFile().deleteOnExit();
        try {
            Process cc = new ProcessBuilder("cc", "-O2", "-o", bin.toString(), src.toString()).redirectErrorStream(true).start();
            String out = new String(cc.getInputStream().readAllBytes());
            if (cc.waitFor() == 0) return bin;
            System.out.println("bare C floor: cc failed, not compared: " + out.strip());
        } catch (IOException e) {
            System.out.println("bare C floor: no C compiler (cc), not compared");
        }
        return null;
    }

    /** What berth did for one container, as the floor's input: every hierarchy and every recorded write. */
    static String floorSpec(CgroupLayout layout, int pid) {
        String id = "berth-bench-spec";
        CgroupManager m = CgroupManagers.open(null, id, layout);
        List<String[]> writes = dev.berth.cgroups.fs.CgroupFiles.recording(() -> m.create(LIMITS));
        StringBuilder sb = new StringBuilder();
        for (Path p : m.paths()) sb.append("D ").append(p.toString().replace(id, "@ID@")).append(' ').append(root(p)).append('\n');
        for (String[] w : writes) sb.append("W ").append(w[0].replace(id, "@ID@")).append(' ').append(w[1]).append('\n');
        m.destroy();
        return sb.toString();
    }

    /** The hierarchy root of a container directory /mount/berth/id. */
    static Path root(Path p) { return p.getParent().getParent(); }

    static void runFloor(Path bin, String spec, int count, int pid, String prefix, long[] total, long[] noLeave, int at) throws Exception {
        Process p = new ProcessBuilder(bin.toString(), Integer.toString(count), Integer.toString(pid), prefix)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (var out = p.getOutputStream()) {
            out.write(spec.getBytes());
        }
        String[] lines = new String(p.getInputStream().readAllBytes()).strip().split("\n");
        if (p.waitFor() != 0 || lines.length != count) throw new IOException("cgroup-floor failed (exit " + p.exitValue() + ")");
        for (int k = 0; k < count; k++) {
            String[] f = lines[k].split(" ");
            total[at + k] = Long.parseLong(f[0]);
            noLeave[at + k] = total[at + k] - Long.parseLong(f[1]);
        }
    }

    static long median(long[] t) {
        long[] s = t.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    static void print(String what, long[] t) {
        long[] s = t.clone();
        Arrays.sort(s);
        System.out.printf("%-44s n=%d min=%.0fus median=%.0fus p90=%.0fus%n", what, s.length,
                s[0] / 1e3, s[s.length / 2] / 1e3, s[(int) (s.length * 0.9)] / 1e3);
    }

    /** runc update on a runc container whose rootfs is the host's / (read-only), for comparison. */
    static void runcUpdate(int n) throws Exception {
        if (!Files.isExecutable(Path.of("/usr/sbin/runc")) && !Files.isExecutable(Path.of("/usr/bin/runc"))) {
            System.out.println("runc update: runc not installed, not compared");
            return;
        }
        Path bundle = Files.createTempDirectory("berth-bench-runc");
        String id = "berth-bench-runc-" + ProcessHandle.current().pid();
        try {
            if (run(bundle, "runc", "spec") != 0) throw new IOException("runc spec failed");
            Path cfg = bundle.resolve("config.json");
            String json = Files.readString(cfg)
                    .replace("\"terminal\": true", "\"terminal\": false")
                    .replace("\"sh\"", "\"sleep\", \"600\"")
                    .replaceAll("(?s),\\s*\\{\\s*\"destination\": \"/sys/fs/cgroup\",[^}]*\\}", "");
            Files.writeString(cfg, json);
            // rootfs: the host's / bound read-only (runc cannot pivot_root into / itself)
            Files.createDirectory(bundle.resolve("rootfs"));
            if (run(bundle, "mount", "--bind", "/", "rootfs") != 0) throw new IOException("bind mount failed");
            if (run(bundle, "runc", "run", "-d", id) != 0) {
                System.out.println("runc update: could not start a runc container here, not compared");
                return;
            }
            for (int i = 0; i < 5; i++) run(bundle, "runc", "update", "--memory", "300M", "--memory-swap", "300M", "--cpu-quota", "40000", id);
            int k = Math.min(n, 50);
            long[] t = new long[k];
            for (int i = 0; i < k; i++) {
                String mem = i % 2 == 0 ? "300M" : "200M";
                long s = System.nanoTime();
                int rc = run(bundle, "runc", "update", "--memory", mem, "--memory-swap", mem, "--cpu-quota", i % 2 == 0 ? "40000" : "60000",
                        "--cpu-share", i % 2 == 0 ? "256" : "512", id);
                t[i] = System.nanoTime() - s;
                if (rc != 0) throw new IOException("runc update failed: " + rc);
            }
            print("runc update memory+cpu (process, same run)", t);
        } finally {
            run(bundle, "runc", "delete", "-f", id);
            run(bundle, "umount", "rootfs");
            try (var s = Files.walk(bundle, 1)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    static int run(Path dir, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        return p.waitFor();
    }
}
