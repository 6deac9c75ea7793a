package dev.berth.cgroups;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Against the real kernel (root). On this project's hosts (hybrid: v1 controllers, cgroup2 at
 * /sys/fs/cgroup/unified with hugetlb only) the hybrid backend runs in full, the v1 backend runs on
 * the v1 hierarchies alone, and the v2 backend runs on the unified mount for what it offers there.
 */
@Tag("root")
class RealCgroupTest {
    static CgroupLayout host;
    static final List<String> RAN = new ArrayList<>();
    static final String PY = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    static final AtomicInteger SEQ = new AtomicInteger();
    /** This run's own cgroup parent: what else runs on the machine (berth containers, other test runs) is left alone. */
    static final String PARENT = "berth-cgtest-" + ProcessHandle.current().pid();
    final ConcurrentLinkedQueue<CgroupManager> managers = new ConcurrentLinkedQueue<>();
    final List<Process> processes = new ArrayList<>();

    static String skipped;

    @BeforeAll
    static void hostOnly() {
        if (Boolean.getBoolean("berth.skipRootTests")) skipped = "-Dberth.skipRootTests=true";
        else if (!"root".equals(System.getProperty("user.name"))) skipped = "not root (" + System.getProperty("user.name") + ")";
        else {
            CgroupLayout l = CgroupLayout.detect();
            Path probe = (l.hierarchies().isEmpty() ? l.unifiedMount() : l.hierarchies().getFirst().mount())
                    .resolve("berth-test-probe-" + ProcessHandle.current().pid());
            try {
                Files.createDirectory(probe);
                Files.delete(probe);
                host = l;
            } catch (IOException e) {
                skipped = "cgroupfs not writable here (" + e + ")";
            }
        }
        Assumptions.assumeTrue(skipped == null, "real cgroup tests skipped: " + skipped);
        System.out.println("[berth-cgroups] real host layout: " + host.describe());
    }

    @AfterEach
    void cleanup() {
        for (Process p : processes) p.destroyForcibly();
        for (CgroupManager m : managers) {
            try {
                m.destroy();
            } catch (RuntimeException e) {
                System.err.println("cleanup " + m.cgroupPath() + ": " + e.getMessage());
            }
        }
    }

    @AfterAll
    static void report() throws IOException {
        if (host == null) {
            System.out.println("[berth-cgroups] REAL: nothing ran (" + skipped + "); v1, hybrid, v2 checked against the fake tree only");
            return;
        }
        System.out.println("[berth-cgroups] REAL on this host (" + host.kind() + "): " + String.join("; ", RAN));
        if (host.kind() == Layout.HYBRID)
            System.out.println("[berth-cgroups] FAKE TREE ONLY: v2 memory/cpu/cpuset/io/pids/rdma/unified writes "
                    + "(this kernel binds those controllers to v1; its cgroup2 mount offers only "
                    + Files.readString(host.unifiedMount().resolve("cgroup.controllers")).strip() + ")");
        // Only this run's own parent: other berth containers and test runs may live on this machine.
        // (no walk of /sys/fs/cgroup: other runs' cgroups come and go meanwhile)
        try (Stream<Path> s = Files.list(Path.of("/sys/fs/cgroup"))) {
            List<Path> left = s.map(h -> h.resolve(PARENT)).filter(Files::isDirectory).toList();
            for (Path p : left) Files.deleteIfExists(p); // empty unless a test left a child: then this fails naming it (IfExists: cpu and cpu,cpuacct may be one)
        } catch (IOException e) {
            throw new AssertionError("left behind under /sys/fs/cgroup/*/" + PARENT + ": " + e, e);
        }
    }

    CgroupManager open(CgroupLayout layout) {
        String id = "c" + SEQ.incrementAndGet();
        CgroupManager m = CgroupManagers.open(CgroupPath.resolve(null, id, PARENT), layout);
        managers.add(m);
        return m;
    }

    /** Starts {@code sh -c script} paused on "read go", moves it into {@code m}, then lets it run. */
    Process startIn(CgroupManager m, String script) throws IOException {
        Process p = new ProcessBuilder("sh", "-c", "read go; " + script).start();
        processes.add(p);
        m.addProcess((int) p.pid());
        OutputStream in = p.getOutputStream();
        in.write("go\n".getBytes());
        in.flush();
        return p;
    }

    static String read(Path p) throws IOException {
        return Files.readString(p).strip();
    }

    static String out(Process p) throws IOException {
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8) + new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    @Test
    void hybridCreateLimitsStatsLiveUpdateDestroy() throws Exception {
        CgroupManager m = open(host);
        m.create(Resources.empty()
                .withMemory(Resources.Memory.limit(64 << 20).withSwap(64L << 20))
                .withCpu(Resources.Cpu.of().withShares(512L).withQuota(50_000L, 100_000L).withCpus("0-1").withMems("0"))
                .withPids(Resources.Pids.limit(64))
                .withHugepageLimits(host.unifiedMount() != null ? List.of(new Resources.HugepageLimit("2MB", 4L << 20)) : null));
        Path mem = host.hierarchy("memory").mount().resolve(m.cgroupPath().substring(1));
        assertThat(read(mem.resolve("memory.limit_in_bytes"))).isEqualTo("67108864");
        assertThat(read(host.hierarchy("cpu").mount().resolve(m.cgroupPath().substring(1)).resolve("cpu.cfs_quota_us"))).isEqualTo("50000");
        assertThat(read(host.hierarchy("pids").mount().resolve(m.cgroupPath().substring(1)).resolve("pids.max"))).isEqualTo("64");
        if (host.kind() == Layout.HYBRID)
            assertThat(read(host.unifiedMount().resolve(m.cgroupPath().substring(1)).resolve("hugetlb.2MB.max"))).isEqualTo("4194304");

        Process p = startIn(m, "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; exec sleep 60");
        assertThat(m.pids()).contains((int) p.pid());
        for (Path dir : m.paths()) assertThat(read(dir.resolve("cgroup.procs"))).contains(Long.toString(p.pid()));
        Thread.sleep(300);
        Stats s = m.stats();
        System.out.println("[berth-cgroups] stats: " + s.cpu() + " memory.usage=" + s.memory().usage() + " pids=" + s.pids());
        assertThat(s.cpu().usage().total()).isPositive();
        assertThat(s.cpu().usage().percpu()).hasSize(Runtime.getRuntime().availableProcessors());
        assertThat(s.cpu().usage().percpu_user()).hasSameSizeAs(s.cpu().usage().percpu());
        assertThat(s.memory().usage().usage()).isPositive();
        assertThat(s.memory().usage().limit()).isEqualTo(64 << 20);
        assertThat(s.pids().current()).isEqualTo(1);
        assertThat(s.pids().limit()).isEqualTo(64);

        m.update(Resources.empty().withMemory(Resources.Memory.limit(128 << 20).withSwap(128L << 20))
                .withCpu(Resources.Cpu.of().withQuota(20_000L, 50_000L)).withPids(Resources.Pids.limit(16)));
        assertThat(m.stats().memory().usage().limit()).isEqualTo(128 << 20);
        assertThat(m.stats().pids().limit()).isEqualTo(16);

        m.destroy();
        assertThat(p.waitFor(5, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(137);
        assertThat(m.exists()).isFalse();
        RAN.add(host.kind() + " create/apply/join/stats/update/destroy (memory, cpu, cpuset, pids" + (host.kind() == Layout.HYBRID ? ", hugetlb on unified" : "") + ")");
    }

    @Test
    void forkLoopStopsAtPidsLimitAndProceedsWhenRaised() throws Exception {
        CgroupManager m = open(host);
        m.create(Resources.empty().withPids(Resources.Pids.limit(4)));
        // The sleeps must not hold the shell's stdout/stderr (out() reads to EOF) and must outlive every
        // check below (destroy kills them): otherwise the counts depend on when they exit.
        String forker = "n=0; for i in 1 2 3 4 5 6 7 8; do sleep 600 </dev/null >/dev/null 2>&1 & n=$((n+1)); done; echo forked $n; exit 0";
        Process a = startIn(m, forker);
        assertThat(a.waitFor(10, TimeUnit.SECONDS)).isTrue();
        String outA = out(a);
        assertThat(outA).containsIgnoringCase("fork").doesNotContain("forked 8");
        assertThat(m.stats().pids().current()).isLessThanOrEqualTo(4);
        assertThat(m.stats().pids().current()).isEqualTo(3); // the shell is gone, 3 sleeps made it

        m.update(Resources.empty().withPids(Resources.Pids.limit(32)));
        Process b = startIn(m, forker);
        assertThat(b.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(out(b)).contains("forked 8");
        assertThat(m.stats().pids().current()).isEqualTo(11);
        m.destroy();
        assertThat(m.exists()).isFalse();
        RAN.add("pids: fork loop fails at pids.max 4 (\"" + outA.strip().lines().findFirst().orElse("") + "\"), succeeds at 32");
    }

    @Test
    void memoryHogKilledUnderOldLimitRunsUnderGrownOne() throws Exception {
        CgroupManager m = open(host);
        m.create(Resources.empty().withMemory(Resources.Memory.limit(32 << 20).withSwap(32L << 20)));
        AtomicInteger events = new AtomicInteger();
        AutoCloseable watch = null;
        try {
            watch = m.onOom(events::incrementAndGet);
        } catch (UnsupportedOperationException e) {
            System.out.println("[berth-cgroups] oom notifications: " + e.getMessage());
        }
        String hog = "exec " + PY + " -c \"b = b'x' * (96 << 20); print('allocated', len(b))\"";
        Process a = startIn(m, hog);
        assertThat(a.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(a.exitValue()).isEqualTo(137); // SIGKILL by the OOM killer
        Stats s = m.stats();
        assertThat(s.memory().oom().oomKill()).isGreaterThanOrEqualTo(1);
        assertThat(s.memory().usage().max()).isEqualTo(32 << 20); // peak hit the limit (6.x v1 leaves failcnt at 0 here)

        m.update(Resources.empty().withMemory(Resources.Memory.limit(256 << 20).withSwap(256L << 20)));
        Process b = startIn(m, hog);
        assertThat(b.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(out(b)).contains("allocated 100663296");
        assertThat(b.exitValue()).isZero();
        if (watch != null) {
            for (int i = 0; i < 100 && events.get() == 0; i++) Thread.sleep(10);
            assertThat(events.get()).isGreaterThanOrEqualTo(1);
            watch.close();
            RAN.add("oom: eventfd notification delivered (" + events.get() + ")");
        }
        RAN.add("memory: 96 MiB hog OOM-killed at 32 MiB (oom_kill=" + s.memory().oom().oomKill() + "), runs after live raise to 256 MiB");
    }

    @Test
    void cpuQuotaChangesThroughput() throws Exception {
        CgroupManager m = open(host);
        m.create(Resources.empty().withCpu(Resources.Cpu.of().withQuota(10_000L, 100_000L)));
        startIn(m, "while :; do :; done");
        long low = cpuOver(m, 1000);
        m.update(Resources.empty().withCpu(Resources.Cpu.of().withQuota(60_000L, 100_000L)));
        Stats.Throttling t0 = m.stats().cpu().throttling();
        long high = cpuOver(m, 1000);
        Stats.Throttling t1 = m.stats().cpu().throttling();
        double throttledAtHigh = (double) (t1.throttledPeriods() - t0.throttledPeriods()) / Math.max(1, t1.periods() - t0.periods());
        System.out.printf("[berth-cgroups] busy loop cpu time per 1 s: quota 10%% -> %d ms, quota 60%% -> %d ms (throttled in %.0f%% of periods)%n",
            low / 1_000_000, high / 1_000_000, 100 * throttledAtHigh);
        assertThat(low).isLessThan(200_000_000L);
        // More than the 10% quota allowed - or, on a host whose other work leaves the loop less than
        // that, a quota that no longer holds it back (throttled in few periods).
        assertThat(high > 2 * low || high > 150_000_000L || throttledAtHigh < 0.5)
            .as("at 60%%: %d ms/s, throttled in %.0f%% of periods; at 10%%: %d ms/s", high / 1_000_000, 100 * throttledAtHigh, low / 1_000_000)
            .isTrue();
        assertThat(m.stats().cpu().throttling().throttledPeriods()).isPositive();
        RAN.add("cpu: busy loop " + low / 1_000_000 + " ms/s at 10% quota, " + high / 1_000_000 + " ms/s at 60%");
    }

    static long cpuOver(CgroupManager m, long ms) throws InterruptedException {
        long a = m.stats().cpu().usage().total();
        Thread.sleep(ms);
        return m.stats().cpu().usage().total() - a;
    }

    @Test
    void freezeStopsProgressThawResumes() throws Exception {
        CgroupManager m = open(host);
        m.create(Resources.empty());
        startIn(m, "while :; do :; done");
        Thread.sleep(100);
        m.freeze();
        assertThat(m.freezerState()).isEqualTo(FreezerState.FROZEN);
        long frozen = cpuOver(m, 300);
        m.thaw();
        assertThat(m.freezerState()).isEqualTo(FreezerState.THAWED);
        long thawed = cpuOver(m, 300);
        assertThat(frozen).isZero();
        assertThat(thawed).as("cpu time in 300 ms after thaw (the host's other work may leave it little)").isGreaterThan(1_000_000L);
        m.freeze(); // destroy must cope with a frozen cgroup
        m.destroy();
        assertThat(m.exists()).isFalse();
        RAN.add("freezer: FROZEN gives 0 ns cpu in 300 ms, thawed " + thawed / 1_000_000 + " ms");
    }

    @Test
    void kernelRejectionsLeaveOldLimitsInForce() throws Exception {
        CgroupManager m = open(host);
        m.create(Resources.empty().withMemory(Resources.Memory.limit(128 << 20)).withCpu(Resources.Cpu.of().withShares(512L)));
        assertThatThrownBy(() -> m.update(Resources.empty().withCpu(Resources.Cpu.of().withCpus("7-9"))))
                .hasMessage("cpuset.cpus \"7-9\": outside the online cpus " + read(Path.of("/sys/fs/cgroup/cpuset/cpuset.effective_cpus")));
        // the kernel (6.x) refuses use_hierarchy=0: the shares written before it are restored
        assertThatThrownBy(() -> m.update(Resources.empty().withCpu(Resources.Cpu.of().withShares(2048L))
                .withMemory(new Resources.Memory(null, null, null, null, null, null, null, false, null))))
                .isInstanceOf(CgroupException.class)
                .satisfies(e -> System.out.println("[berth-cgroups] kernel refusal: " + e.getMessage()))
                .hasMessageStartingWith("memory.use_hierarchy \"0\": ");
        Path cpu = host.hierarchy("cpu").mount().resolve(m.cgroupPath().substring(1));
        assertThat(read(cpu.resolve("cpu.shares"))).isEqualTo("512");

        Process hog = startIn(m, "exec " + PY + " -c \"import time,sys; b = b'x' * (60 << 20); print('ready'); sys.stdout.flush(); time.sleep(60)\"");
        assertThat(new String(hog.getInputStream().readNBytes(5))).isEqualTo("ready");
        assertThatThrownBy(() -> m.update(Resources.empty().withMemory(Resources.Memory.limit(16 << 20)).withPids(Resources.Pids.limit(10))))
                .isInstanceOf(CgroupException.class)
                .satisfies(e -> System.out.println("[berth-cgroups] below usage: " + e.getMessage()))
                .hasMessageStartingWith("memory.limit_in_bytes \"16777216\": below current usage");
        assertThat(m.stats().memory().usage().limit()).isEqualTo(128 << 20);
        assertThat(m.stats().pids().limit()).isEqualTo(Long.MAX_VALUE);
        assertThat(hog.isAlive()).isTrue();
        RAN.add("bad input: cpuset outside online cpus, kernel-refused use_hierarchy rolled back, limit below usage refused");
    }

    @Test
    void v1BackendAloneOnTheV1Hierarchies() throws Exception {
        Assumptions.assumeFalse(host.hierarchies().isEmpty(), "no v1 hierarchies on this host");
        CgroupLayout v1 = new CgroupLayout(Layout.V1, host.hierarchies(), null, "/", false);
        CgroupManager m = open(v1);
        assertThat(m.layout()).isEqualTo(Layout.V1);
        m.create(Resources.empty().withMemory(Resources.Memory.limit(64 << 20)).withPids(Resources.Pids.limit(8))
                .withDevices(List.of(Resources.DeviceRule.denyAll(), Resources.DeviceRule.allowChar(1, 3, "rwm"),
                        Resources.DeviceRule.allowChar(1, 5, "rw"))));
        Path dev = v1.hierarchy("devices").mount().resolve(m.cgroupPath().substring(1));
        assertThat(read(dev.resolve("devices.list")).lines()).containsExactlyInAnyOrder("c 1:3 rwm", "c 1:5 rw");
        Process p = startIn(m, "cat /dev/null && echo null-ok; (echo x > /dev/full) 2>&1 | head -1; exit 0");
        assertThat(p.waitFor(5, TimeUnit.SECONDS)).isTrue();
        String o = out(p);
        assertThat(o).contains("null-ok").contains("Operation not permitted"); // /dev/full is 1:7: denied
        m.destroy();
        assertThat(m.exists()).isFalse();
        RAN.add("V1 backend alone (no unified): devices allow/deny enforced (/dev/full denied)");
    }

    @Test
    void v2BackendOnTheUnifiedMount() throws Exception {
        Assumptions.assumeTrue(host.unifiedMount() != null, "no cgroup2 mount on this host");
        String controllers = read(host.unifiedMount().resolve("cgroup.controllers"));
        CgroupLayout v2 = new CgroupLayout(Layout.V2, List.of(), host.unifiedMount(), "/", false);
        CgroupManager m = open(v2);
        boolean huge = controllers.contains("hugetlb");
        List<Resources.DeviceRule> devices = List.of(Resources.DeviceRule.denyAll(),
                Resources.DeviceRule.allowChar(1, 3, "rwm"), new Resources.DeviceRule(true, "c", 1L, 5L, "rw"));
        Resources r = Resources.empty().withDevices(devices);
        m.create(huge ? r.withHugepageLimits(List.of(new Resources.HugepageLimit("2MB", 2L << 20))) : r);
        Path dir = m.paths().getFirst();
        for (Path p = dir.getParent(); p.startsWith(host.unifiedMount()); p = p.getParent())
            if (huge) assertThat(read(p.resolve("cgroup.subtree_control"))).contains("hugetlb");
        // eBPF device filter: /dev/null (1:3) allowed, /dev/full (1:7) denied
        String probe = "cat /dev/null && echo null-ok; (echo x > /dev/full) 2>&1 | head -1; exit 0";
        Process d1 = startIn(m, probe);
        assertThat(d1.waitFor(5, TimeUnit.SECONDS)).isTrue();
        assertThat(out(d1)).contains("null-ok").contains("Operation not permitted");
        // live update: allow /dev/full; the write now reaches the device (ENOSPC, which dash reports as "I/O error")
        m.update(Resources.empty().withDevices(List.of(Resources.DeviceRule.denyAll(), Resources.DeviceRule.allowChar(1, 3, "rwm"),
                Resources.DeviceRule.allowChar(1, 7, "rw"))));
        dev.berth.sys.Syscalls sys = dev.berth.sys.Syscalls.linux();
        int dirFd = sys.open(dir.toString(), 0, 0);
        try {
            assertThat(sys.bpfQueryDevices(dirFd)).hasSize(1); // the old program was detached
        } finally {
            sys.close(dirFd);
        }
        Process d2 = startIn(m, probe);
        assertThat(d2.waitFor(5, TimeUnit.SECONDS)).isTrue();
        assertThat(out(d2)).contains("null-ok").doesNotContain("Operation not permitted").containsAnyOf("I/O error", "No space left");

        Process p = startIn(m, "while :; do :; done");
        m.freeze();
        assertThat(read(dir.resolve("cgroup.events"))).contains("frozen 1");
        assertThat(m.freezerState()).isEqualTo(FreezerState.FROZEN);
        m.thaw();
        m.destroy(); // cgroup.kill
        assertThat(p.waitFor(5, TimeUnit.SECONDS)).isTrue();
        assertThat(m.exists()).isFalse();
        RAN.add("V2 backend on " + host.unifiedMount() + " (controllers: " + controllers + "): subtree_control, join, "
                + "eBPF device filter (/dev/full denied, allowed after live update), cgroup.freeze, cgroup.kill"
                + (huge ? ", hugetlb.2MB.max" : ""));
    }

    @Test
    void sweepRemovesDeadLeftovers() throws Exception {
        CgroupManager dead = open(host);
        dead.create(Resources.empty());
        String id = dead.cgroupPath().substring(PARENT.length() + 2);
        var r = CgroupSweeper.sweep(host, "/" + PARENT, other -> !other.equals(id));
        assertThat(r.removed()).contains(id);
        assertThat(dead.exists()).isFalse();
        RAN.add("sweeper removed a dead /<parent>/<id> from every hierarchy");
    }

    /** rmdir only: a cgroup holding a process (itself or in a child cgroup) is reported busy and left; empty children go first. */
    @Test
    void sweepNeverRemovesWhatHoldsAProcess() throws Exception {
        CgroupManager dead = open(host), busy = open(host), nested = open(host), young = open(host);
        for (CgroupManager m : List.of(dead, busy, nested, young)) m.create(Resources.empty());
        Path deadChild = Files.createDirectory(dead.paths().getFirst().resolve("left-by-the-container"));
        startIn(busy, "exec sleep 60");
        Path pids = nested.paths().stream().filter(p -> p.startsWith("/sys/fs/cgroup/pids")).findFirst().orElseThrow();
        Path busyChild = Files.createDirectory(pids.resolve("inner"));
        Process inner = new ProcessBuilder("sleep", "60").start();
        processes.add(inner);
        Files.writeString(busyChild.resolve("cgroup.procs"), Long.toString(inner.pid()));
        var hourAgo = java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 3_600_000);
        for (CgroupManager m : List.of(dead, busy, nested)) for (Path d : m.paths()) Files.setLastModifiedTime(d, hourAgo);
        java.util.Set<String> ours = new java.util.HashSet<>();
        for (CgroupManager m : List.of(dead, busy, nested, young)) ours.add(m.cgroupPath().substring(PARENT.length() + 2));
        int cut = PARENT.length() + 2;
        String deadId = dead.cgroupPath().substring(cut), busyId = busy.cgroupPath().substring(cut), nestedId = nested.cgroupPath().substring(cut);
        try {
            var r = CgroupSweeper.sweep(host, "/" + PARENT, id -> ours.contains(id) ? () -> { } : null, java.time.Duration.ofSeconds(10));
            assertThat(r.removed()).containsExactly(deadId);
            assertThat(r.busy()).containsExactlyInAnyOrder(busyId, nestedId);
            assertThat(deadChild).doesNotExist();
            assertThat(dead.exists()).isFalse();
            assertThat(busy.paths()).allSatisfy(p -> assertThat(p).isDirectory());
            assertThat(busyChild).isDirectory();
            assertThat(young.paths()).allSatisfy(p -> assertThat(p).isDirectory());
        } finally {
            Files.writeString(Path.of("/sys/fs/cgroup/pids/cgroup.procs"), Long.toString(inner.pid()));
            inner.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            Files.delete(busyChild);
        }
        RAN.add("sweeper: rmdir only, busy (a process, or one in a child cgroup) left and reported, empty child cgroups removed first, young ones skipped");
    }
}
