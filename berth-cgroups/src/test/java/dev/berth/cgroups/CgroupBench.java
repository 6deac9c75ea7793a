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
 * everywhere); (2) create + apply + join + destroy that SIGKILLs the process and waits;
 * (3) update of memory and cpu on a populated cgroup. Prints min/median/p90 in microseconds.
 * If runc is installed and a container can be started with rootfs "/", times {@code runc update}
 * of memory and cpu on it in the same run.
 */
public final class CgroupBench {
    static final Resources LIMITS = Resources.empty()
            .withMemory(Resources.Memory.limit(256L << 20).withSwap(256L << 20))
            .withCpu(Resources.Cpu.of().withShares(512L).withQuota(50_000L, 100_000L))
            .withPids(Resources.Pids.limit(128));

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        CgroupLayout layout = CgroupLayout.detect();
        System.out.println("layout: " + layout.describe());
        Process sleeper = new ProcessBuilder("sleep", "600").start();
        int pid = (int) sleeper.pid();
        List<Path> home = new ArrayList<>(); // where the sleeper started, to move it back
        try {
            for (int i = 0; i < 300; i++) joinLeave(layout, "berth-bench-warm-" + i, pid); // JIT warm-up
            long[] t = new long[n], noLeave = new long[n];
            for (int i = 0; i < n; i++) {
                long s = System.nanoTime();
                long leave = joinLeave(layout, "berth-bench-" + i, pid);
                t[i] = System.nanoTime() - s;
                noLeave[i] = t[i] - leave;
            }
            print("create+apply+join+remove (incl. move-out)", t);
            print("create+apply+join+remove (excl. move-out)", noLeave);
            long[] raw = new long[n];
            for (int i = 0; i < n; i++) {
                long st = System.nanoTime();
                rawSyscalls(layout, "berth-bench-raw-" + i, pid);
                raw[i] = System.nanoTime() - st;
            }
            print("same, bare file ops, no berth logic (floor)", raw);

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
        for (Path p : m.paths()) {
            Path root = p.getParent().getParent();
            dev.berth.cgroups.fs.CgroupFiles.write(root.resolve("cgroup.procs"), Integer.toString(pid));
        }
        long leave = System.nanoTime() - s;
        m.destroy();
        return leave;
    }

    /** The same kernel work with no validation, journal or layout logic: the floor for (1). */
    static void rawSyscalls(CgroupLayout layout, String id, int pid) throws IOException {
        CgroupManager m = CgroupManagers.open(null, id, layout);
        List<Path> ps = m.paths();
        try {
            rawSyscalls(ps, pid);
        } finally {
            m.destroy(); // no-op when the raw path removed everything
        }
    }

    static void rawSyscalls(List<Path> ps, int pid) throws IOException {
        for (Path p : ps) {
            Files.createDirectory(p);
            String h = p.getParent().getParent().getFileName().toString();
            switch (h) {
                case "memory" -> {
                    Files.writeString(p.resolve("memory.limit_in_bytes"), "268435456");
                    Files.writeString(p.resolve("memory.memsw.limit_in_bytes"), "268435456");
                }
                case "cpu" -> {
                    Files.writeString(p.resolve("cpu.shares"), "512");
                    Files.writeString(p.resolve("cpu.cfs_period_us"), "100000");
                    Files.writeString(p.resolve("cpu.cfs_quota_us"), "50000");
                }
                case "pids" -> Files.writeString(p.resolve("pids.max"), "128");
                case "cpuset" -> {
                    Files.readString(p.resolve("cpuset.cpus"));
                    Files.readString(p.resolve("cpuset.mems"));
                }
                default -> { }
            }
        }
        for (Path p : ps) Files.writeString(p.resolve("cgroup.procs"), Integer.toString(pid));
        for (Path p : ps) Files.writeString(p.getParent().getParent().resolve("cgroup.procs"), Integer.toString(pid));
        for (Path p : ps) Files.delete(p);
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
