package dev.berth.cgroups;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.berth.cgroups.FakeCgroupfs.read;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** All three backends against a directory laid out like cgroupfs (no root needed). */
class FakeTreeTest {
    @TempDir Path root;

    static final Resources LIMITS = Resources.empty()
            .withMemory(Resources.Memory.limit(64 << 20).withSwap(128L << 20).withReservation(32L << 20).withSwappiness(10L))
            .withCpu(Resources.Cpu.of().withShares(512L).withQuota(50_000L, 100_000L).withCpus("1").withMems("0"))
            .withPids(Resources.Pids.limit(32));

    @AfterAll
    static void report() {
        System.out.println("[berth-cgroups] fake tree: v1, hybrid and v2 backends checked against a temp-dir cgroupfs layout");
    }

    @Test
    void v1CreateWritesEveryHierarchy() throws Exception {
        CgroupLayout layout = FakeCgroupfs.v1(root);
        CgroupManager m = CgroupManagers.open(null, "c1", layout);
        assertThat(m.layout()).isEqualTo(Layout.V1);
        m.create(LIMITS.withDevices(List.of(Resources.DeviceRule.denyAll(), Resources.DeviceRule.allowChar(1, 3, "rwm"))));

        assertThat(m.paths()).hasSize(9).allSatisfy(p -> assertThat(p).isDirectory().endsWith(Path.of("berth/c1")));
        Path mem = root.resolve("memory/berth/c1"), cpu = root.resolve("cpu/berth/c1");
        assertThat(read(mem.resolve("memory.limit_in_bytes"))).isEqualTo("67108864");
        assertThat(read(mem.resolve("memory.memsw.limit_in_bytes"))).isEqualTo("134217728");
        assertThat(read(mem.resolve("memory.soft_limit_in_bytes"))).isEqualTo("33554432");
        assertThat(read(mem.resolve("memory.swappiness"))).isEqualTo("10");
        assertThat(read(cpu.resolve("cpu.shares"))).isEqualTo("512");
        assertThat(read(cpu.resolve("cpu.cfs_quota_us"))).isEqualTo("50000");
        assertThat(read(cpu.resolve("cpu.cfs_period_us"))).isEqualTo("100000");
        assertThat(read(root.resolve("pids/berth/c1/pids.max"))).isEqualTo("32");
        assertThat(read(root.resolve("cpuset/berth/c1/cpuset.cpus"))).isEqualTo("1");
        // the intermediate /berth cpuset inherited the root's sets, or nothing could join below it
        assertThat(read(root.resolve("cpuset/berth/cpuset.cpus"))).isEqualTo("0-1");
        assertThat(read(root.resolve("cpuset/berth/cpuset.mems"))).isEqualTo("0");
        // devices: last rule written is the last allow (a plain file keeps the last write)
        assertThat(read(root.resolve("devices/berth/c1/devices.allow"))).isEqualTo("c 1:3 rwm");
        assertThat(read(root.resolve("devices/berth/c1/devices.deny"))).isEqualTo("a *:* rwm");

        m.addProcess(4242);
        assertThat(read(root.resolve("freezer/berth/c1/cgroup.procs"))).isEqualTo("4242");
        assertThat(m.pids()).containsExactly(4242);
        Files.writeString(root.resolve("freezer/berth/c1/cgroup.procs"), "");
        for (Path p : m.paths()) Files.writeString(p.resolve("cgroup.procs"), "");

        Stats s = m.stats();
        assertThat(s.memory().usage().limit()).isEqualTo(64 << 20);
        assertThat(s.pids().limit()).isEqualTo(32);
        assertThat(s.cpuset().cpus()).containsExactly(1);
        assertThat(s.blkio().ioServiceBytesRecursive()).contains(new Stats.BlkioEntry(8, 0, "Read", 4096));

        m.destroy();
        assertThat(m.exists()).isFalse();
        assertThat(root.resolve("memory/berth")).isDirectory(); // the shared parent stays
        m.destroy(); // idempotent
    }

    @Test
    void memoryAndSwapOrderFollowsTheDirection() throws Exception {
        CgroupManager m = CgroupManagers.open("/a", "x", FakeCgroupfs.v1(root));
        m.create(Resources.empty().withMemory(Resources.Memory.limit(100).withSwap(200L)));
        m.update(Resources.empty().withMemory(Resources.Memory.limit(1000).withSwap(2000L)));
        assertThat(read(root.resolve("memory/a/memory.limit_in_bytes"))).isEqualTo("1000");
        assertThat(read(root.resolve("memory/a/memory.memsw.limit_in_bytes"))).isEqualTo("2000");
        m.update(Resources.empty().withMemory(Resources.Memory.limit(-1).withSwap(-1L)));
        assertThat(read(root.resolve("memory/a/memory.limit_in_bytes"))).isEqualTo("-1");
        m.destroy();
    }

    @Test
    void updateIsAllOrNothing() throws Exception {
        CgroupManager m = CgroupManagers.open(null, "c2", FakeCgroupfs.v1(root));
        m.create(LIMITS);
        // make pids.max unwritable: the memory and cpu writes before it must be undone
        Path pidsMax = root.resolve("pids/berth/c2/pids.max");
        Files.delete(pidsMax);
        Files.createDirectory(pidsMax);
        assertThatThrownBy(() -> m.update(Resources.empty()
                .withMemory(Resources.Memory.limit(128 << 20))
                .withCpu(Resources.Cpu.of().withShares(2048L))
                .withPids(Resources.Pids.limit(64))))
                .isInstanceOf(CgroupException.class).hasMessageContaining("pids.max");
        assertThat(read(root.resolve("memory/berth/c2/memory.limit_in_bytes"))).isEqualTo("67108864");
        assertThat(read(root.resolve("cpu/berth/c2/cpu.shares"))).isEqualTo("512");
        Files.delete(pidsMax);
        m.destroy();
    }

    @Test
    void createFailureRemovesWhatItMade() throws Exception {
        CgroupLayout layout = FakeCgroupfs.v1(root);
        Files.delete(root.resolve("pids/pids.max"));
        Files.createDirectory(root.resolve("pids/pids.max")); // every new pids dir gets an unreadable pids.max
        CgroupManager m = CgroupManagers.open(null, "c3", layout);
        // populate skips directories, so the new dir has no pids.max at all
        assertThatThrownBy(() -> m.create(LIMITS)).isInstanceOf(CgroupException.class).hasMessageContaining("pids.max");
        assertThat(m.exists()).isFalse();
        for (String h : List.of("memory", "cpu", "pids", "cpuset")) assertThat(root.resolve(h + "/berth")).doesNotExist();
    }

    @Test
    void badInputIsRefusedBeforeAnyWrite() throws Exception {
        CgroupManager m = CgroupManagers.open(null, "c4", FakeCgroupfs.v1(root));
        m.create(LIMITS);
        assertThatThrownBy(() -> m.update(Resources.empty().withCpu(Resources.Cpu.of().withCpus("7-9"))))
                .hasMessage("cpuset.cpus \"7-9\": outside the online cpus 0-1");
        assertThatThrownBy(() -> m.update(Resources.empty().withCpu(Resources.Cpu.of().withMems("1"))))
                .hasMessage("cpuset.mems \"1\": outside the online mems 0");
        assertThatThrownBy(() -> m.update(Resources.empty().withMemory(Resources.Memory.limit(-5))))
                .hasMessage("memory.limit \"-5\": negative (use -1 for unlimited)");
        assertThatThrownBy(() -> m.update(Resources.empty().withMemory(Resources.Memory.limit(100 << 20).withSwap(50L << 20))))
                .hasMessageStartingWith("memory.swap \"52428800\": below memory.limit");
        assertThatThrownBy(() -> m.update(Resources.empty().withDevices(List.of(new Resources.DeviceRule(true, "x", 1L, 3L, "rwm")))))
                .hasMessage("devices[0].type \"x\": unknown device type (a, b, c or u)");
        assertThatThrownBy(() -> m.update(Resources.empty().withCpu(Resources.Cpu.of().withShares(1L))))
                .hasMessage("cpu.shares \"1\": outside 2-262144");
        assertThatThrownBy(() -> m.update(Resources.empty().withUnified(Map.of("memory.high", "1M"))))
                .hasMessageContaining("needs a cgroup v2 mount");
        // current usage above the new limit
        Files.writeString(root.resolve("memory/berth/c4/memory.usage_in_bytes"), "50000000");
        assertThatThrownBy(() -> m.update(Resources.empty().withMemory(Resources.Memory.limit(10_000_000))))
                .isInstanceOf(CgroupException.class)
                .hasMessage("memory.limit_in_bytes \"10000000\": below current usage 50000000 bytes (working set)")
                .satisfies(e -> assertThat(((CgroupException) e).resource()).isEqualTo("memory.limit_in_bytes"));
        // page cache is reclaimable: only the working set counts, unless checkBeforeUpdate
        Files.writeString(root.resolve("memory/berth/c4/memory.stat"), "total_inactive_file 45000000\n");
        Resources.Memory tenMb = Resources.Memory.limit(10_000_000);
        m.update(Resources.empty().withMemory(tenMb));
        assertThat(read(root.resolve("memory/berth/c4/memory.limit_in_bytes"))).isEqualTo("10000000");
        assertThatThrownBy(() -> m.update(Resources.empty().withMemory(new Resources.Memory(9_000_000L, null, null, null, null, null, null, null, true))))
                .hasMessage("memory.limit_in_bytes \"9000000\": below current usage 50000000 bytes (checkBeforeUpdate)");
        m.update(Resources.empty().withMemory(Resources.Memory.limit(64 << 20)));
        // growing the memory limit past memory+swap needs swap too
        assertThatThrownBy(() -> m.update(Resources.empty().withMemory(Resources.Memory.limit(256 << 20))))
                .hasMessage("memory.limit_in_bytes \"268435456\": above the memory+swap limit in force 134217728 (set memory.swap as well)");
        assertThat(read(root.resolve("memory/berth/c4/memory.limit_in_bytes"))).isEqualTo("67108864");
        assertThat(read(root.resolve("cpuset/berth/c4/cpuset.cpus"))).isEqualTo("1");
        Files.writeString(root.resolve("memory/berth/c4/memory.usage_in_bytes"), "0");
        m.destroy();
    }

    @Test
    void freezerOnV1() throws Exception {
        CgroupManager m = CgroupManagers.open(null, "c5", FakeCgroupfs.v1(root));
        m.create(Resources.empty());
        m.freeze();
        assertThat(m.freezerState()).isEqualTo(FreezerState.FROZEN);
        m.thaw();
        assertThat(m.freezerState()).isEqualTo(FreezerState.THAWED);
        m.destroy();
    }

    @Test
    void hybridPutsHugetlbOnTheUnifiedMount() throws Exception {
        CgroupLayout layout = FakeCgroupfs.hybrid(root);
        CgroupManager m = CgroupManagers.open(null, "h1", layout);
        assertThat(m.layout()).isEqualTo(Layout.HYBRID);
        m.create(LIMITS.withHugepageLimits(List.of(new Resources.HugepageLimit("2MB", 4L << 20))));
        assertThat(m.paths()).hasSize(10).contains(root.resolve("unified/berth/h1"), root.resolve("memory/berth/h1"));
        // hugetlb enabled along the path, from the unified root down
        assertThat(read(root.resolve("unified/cgroup.subtree_control"))).isEqualTo("hugetlb");
        assertThat(read(root.resolve("unified/berth/cgroup.subtree_control"))).isEqualTo("hugetlb");
        assertThat(read(root.resolve("unified/berth/h1/hugetlb.2MB.max"))).isEqualTo("4194304");
        // memory stays v1
        assertThat(read(root.resolve("memory/berth/h1/memory.limit_in_bytes"))).isEqualTo("67108864");
        assertThat(root.resolve("unified/berth/h1/memory.max")).doesNotExist();
        // freezer is the v1 one
        m.freeze();
        assertThat(read(root.resolve("freezer/berth/h1/freezer.state"))).isEqualTo("FROZEN");
        assertThat(read(root.resolve("unified/berth/h1/cgroup.freeze"))).isEqualTo("0");
        m.thaw();
        assertThat(m.stats().hugetlb()).containsKey("2MB");
        assertThatThrownBy(() -> m.update(Resources.empty().withHugepageLimits(List.of(new Resources.HugepageLimit("1GB", 0)))))
                .hasMessageStartingWith("hugepageLimits.pageSize \"1GB\": no such huge page size");
        m.destroy();
        assertThat(root.resolve("unified/berth/h1")).doesNotExist();
        assertThat(root.resolve("memory/berth/h1")).doesNotExist();
    }

    @Test
    void v2EnablesControllersAlongThePath() throws Exception {
        CgroupLayout layout = FakeCgroupfs.v2(root);
        CgroupManager m = CgroupManagers.open("/a/b/c", "v", layout);
        assertThat(m.layout()).isEqualTo(Layout.V2);
        m.create(LIMITS.withBlockIO(new Resources.BlockIO(500, null, null,
                List.of(new Resources.ThrottleDevice(8, 0, 1048576)), null, null, null))
                .withHugepageLimits(List.of(new Resources.HugepageLimit("2MB", 2L << 20)))
                .withUnified(Map.of("memory.oom.group", "1")));
        assertThat(m.paths()).containsExactly(root.resolve("a/b/c"));
        for (Path p : List.of(root, root.resolve("a"), root.resolve("a/b")))
            assertThat(read(p.resolve("cgroup.subtree_control")).split(" "))
                    .containsExactlyInAnyOrder("cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma");
        Path c = root.resolve("a/b/c");
        assertThat(read(c.resolve("memory.max"))).isEqualTo("67108864");
        assertThat(read(c.resolve("memory.swap.max"))).isEqualTo("67108864"); // 128M memory+swap - 64M memory
        assertThat(read(c.resolve("memory.low"))).isEqualTo("33554432");
        assertThat(read(c.resolve("cpu.weight"))).isEqualTo("20"); // runc's shares->weight: 1 + (510*9999)/262142
        assertThat(read(c.resolve("cpu.max"))).isEqualTo("50000 100000");
        assertThat(read(c.resolve("cpuset.cpus"))).isEqualTo("1");
        assertThat(read(c.resolve("pids.max"))).isEqualTo("32");
        assertThat(read(c.resolve("io.weight"))).isEqualTo("default 4950");
        assertThat(read(c.resolve("io.max"))).isEqualTo("8:0 rbps=1048576");
        assertThat(read(c.resolve("hugetlb.2MB.max"))).isEqualTo("2097152");
        assertThat(read(c.resolve("memory.oom.group"))).isEqualTo("1");

        m.update(Resources.empty().withCpu(Resources.Cpu.of().withQuota(-1L, null)));
        assertThat(read(c.resolve("cpu.max"))).isEqualTo("max 100000");
        m.update(Resources.empty().withPids(Resources.Pids.limit(0)));
        assertThat(read(c.resolve("pids.max"))).isEqualTo("max");

        m.freeze();
        assertThat(read(c.resolve("cgroup.freeze"))).isEqualTo("1");
        assertThat(m.freezerState()).isEqualTo(FreezerState.FROZEN);
        m.thaw();
        assertThat(m.freezerState()).isEqualTo(FreezerState.THAWED);

        Files.writeString(c.resolve("memory.events"), "low 0\nhigh 0\nmax 3\noom 2\noom_kill 1\n");
        Files.writeString(c.resolve("cpu.stat"), "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 4\nnr_throttled 2\nthrottled_usec 7\n");
        Stats s = m.stats();
        assertThat(s.memory().oom()).isEqualTo(new Stats.Oom(2, 1, false));
        assertThat(s.cpu().usage().total()).isEqualTo(1_500_000);
        assertThat(s.cpu().throttling()).isEqualTo(new Stats.Throttling(4, 2, 7000));
        m.destroy();
        assertThat(c).doesNotExist();
    }

    @Test
    void v2UpdateRollsBackAcrossFiles() throws Exception {
        CgroupManager m = CgroupManagers.open(null, "v2", FakeCgroupfs.v2(root));
        m.create(LIMITS);
        Path c = root.resolve("berth/v2");
        Files.delete(c.resolve("pids.max"));
        Files.createDirectory(c.resolve("pids.max"));
        assertThatThrownBy(() -> m.update(Resources.empty().withMemory(Resources.Memory.limit(1 << 30))
                .withCpu(Resources.Cpu.of().withQuota(20_000L, 50_000L)).withPids(Resources.Pids.limit(5))))
                .isInstanceOf(CgroupException.class);
        assertThat(read(c.resolve("memory.max"))).isEqualTo("67108864");
        assertThat(read(c.resolve("cpu.max"))).isEqualTo("50000 100000");
        Files.delete(c.resolve("pids.max"));
        m.destroy();
    }

    @Test
    void v2OomWatcherReportsNewKills() throws Exception {
        CgroupManager m = CgroupManagers.open(null, "oom", FakeCgroupfs.v2(root));
        m.create(Resources.empty());
        var kills = new java.util.concurrent.atomic.AtomicInteger();
        try (AutoCloseable w = m.onOom(kills::incrementAndGet)) {
            Files.writeString(root.resolve("berth/oom/memory.events"), "low 0\nhigh 0\nmax 5\noom 2\noom_kill 2\n");
            for (int i = 0; i < 300 && kills.get() < 2; i++) Thread.sleep(10);
        }
        assertThat(kills.get()).isEqualTo(2);
        m.destroy();
    }

    @Test
    void blkioThrottlesAndNetClassesOnV1() throws Exception {
        for (var e : Map.of("blkio", FakeCgroupfs.V1.get("blkio"), "net_cls", Map.of("net_cls.classid", "0"),
                "net_prio", Map.of("net_prio.ifpriomap", "lo 0")).entrySet()) {
            Files.createDirectories(root.resolve(e.getKey()));
            Files.writeString(root.resolve(e.getKey()).resolve("cgroup.procs"), "");
            for (var f : e.getValue().entrySet()) Files.writeString(root.resolve(e.getKey()).resolve(f.getKey()), f.getValue());
        }
        CgroupManager m = CgroupManagers.open(null, "io", CgroupLayout.fakeV1(root, "blkio", "net_cls", "net_prio"));
        m.create(Resources.empty()
                .withBlockIO(new Resources.BlockIO(300, null, null, List.of(new Resources.ThrottleDevice(8, 0, 1 << 20)),
                        null, null, List.of(new Resources.ThrottleDevice(8, 16, 500))))
                .withNetwork(new Resources.Network(0x100001, List.of(new Resources.InterfacePriority("eth0", 5)))));
        Path b = root.resolve("blkio/berth/io");
        assertThat(read(b.resolve("blkio.weight"))).isEqualTo("300");
        assertThat(read(b.resolve("blkio.throttle.read_bps_device"))).isEqualTo("8:0 1048576");
        assertThat(read(b.resolve("blkio.throttle.write_iops_device"))).isEqualTo("8:16 500");
        assertThat(read(root.resolve("net_cls/berth/io/net_cls.classid"))).isEqualTo("1048577");
        assertThat(read(root.resolve("net_prio/berth/io/net_prio.ifpriomap"))).isEqualTo("eth0 5");
        // a failing update puts the old per-device line back
        Path classid = root.resolve("net_cls/berth/io/net_cls.classid");
        Files.delete(classid);
        Files.createDirectory(classid);
        assertThatThrownBy(() -> m.update(Resources.empty()
                .withBlockIO(new Resources.BlockIO(null, null, null, List.of(new Resources.ThrottleDevice(8, 0, 42)), null, null, null))
                .withNetwork(new Resources.Network(7, null)))).isInstanceOf(CgroupException.class);
        assertThat(read(b.resolve("blkio.throttle.read_bps_device"))).isEqualTo("8:0 1048576");
        Files.delete(classid);
        m.destroy();
        assertThat(m.exists()).isFalse();
    }

    @Test
    void relativeAndSystemdPaths() throws Exception {
        CgroupLayout layout = FakeCgroupfs.v1(root).withOwnCgroup("/runtime");
        CgroupManager rel = CgroupManagers.open("pods/x", "x", layout);
        assertThat(rel.paths()).contains(root.resolve("memory/runtime/pods/x"));
        CgroupManager sd = CgroupManagers.open("machine-pod.slice:berth:abc", "abc", layout);
        assertThat(sd.cgroupPath()).isEqualTo("/machine.slice/machine-pod.slice/berth-abc.scope");
        assertThat(sd.paths()).contains(root.resolve("memory/machine.slice/machine-pod.slice/berth-abc.scope"));
    }

    @Test
    void sweeperRemovesOnlyDeadEmptyCgroups() throws Exception {
        CgroupLayout layout = FakeCgroupfs.hybrid(root);
        for (String id : List.of("alive", "dead", "busy")) CgroupManagers.open(null, id, layout).create(Resources.empty());
        Files.writeString(root.resolve("pids/berth/busy/cgroup.procs"), "999999\n");
        var result = CgroupSweeper.sweep(layout, "/berth", id -> id.equals("alive"));
        assertThat(result.removed()).containsExactly("dead");
        assertThat(result.busy()).containsExactly("busy");
        assertThat(root.resolve("memory/berth/dead")).doesNotExist();
        assertThat(root.resolve("unified/berth/dead")).doesNotExist();
        assertThat(root.resolve("memory/berth/alive")).isDirectory();
    }

    @Test
    void sweeperSkipsYoungCgroupsHoldsDeadIdsAndRemovesChildrenFirst() throws Exception {
        CgroupLayout layout = FakeCgroupfs.hybrid(root);
        for (String id : List.of("old", "young", "nested", "taken")) CgroupManagers.open(null, id, layout).create(Resources.empty());
        Files.createDirectories(root.resolve("memory/berth/nested/a/b"));
        var hourAgo = java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 3_600_000);
        for (String id : List.of("old", "nested", "taken"))
            for (Path d : CgroupManagers.open(null, id, layout).paths()) Files.setLastModifiedTime(d, hourAgo);
        // v2 moves a directory's mtime when a controller is enabled in its parent: the oldest counts
        Files.setLastModifiedTime(root.resolve("unified/berth/old"), java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis()));
        List<String> held = new java.util.ArrayList<>(), released = new java.util.ArrayList<>();
        var r = CgroupSweeper.sweep(layout, "/berth", id -> {
            if (id.equals("taken")) return null; // e.g. its state directory exists
            held.add(id);
            return () -> released.add(id);
        }, java.time.Duration.ofSeconds(10));
        assertThat(r.removed()).containsExactly("nested", "old");
        assertThat(r.busy()).isEmpty();
        assertThat(held).containsExactly("nested", "old").isEqualTo(released);
        assertThat(root.resolve("memory/berth/nested")).doesNotExist();
        assertThat(root.resolve("cpu/berth/young")).isDirectory(); // younger than 10 s: maybe being created elsewhere
        assertThat(root.resolve("cpu/berth/taken")).isDirectory();
    }
}
