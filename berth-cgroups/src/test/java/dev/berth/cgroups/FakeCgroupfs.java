package dev.berth.cgroups;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Lays out a directory like cgroupfs: the root control files each hierarchy shows on this kernel. */
final class FakeCgroupfs {
    private FakeCgroupfs() {}

    static final String UNLIMITED = "9223372036854771712";

    static final Map<String, Map<String, String>> V1 = Map.of(
            "cpuset", Map.of("cpuset.cpus", "0-1", "cpuset.mems", "0", "cpuset.effective_cpus", "0-1", "cpuset.effective_mems", "0"),
            "memory", Map.ofEntries(Map.entry("memory.limit_in_bytes", UNLIMITED), Map.entry("memory.memsw.limit_in_bytes", UNLIMITED),
                    Map.entry("memory.soft_limit_in_bytes", UNLIMITED), Map.entry("memory.kmem.tcp.limit_in_bytes", UNLIMITED),
                    Map.entry("memory.swappiness", "60"), Map.entry("memory.use_hierarchy", "1"),
                    Map.entry("memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n"),
                    Map.entry("memory.usage_in_bytes", "0"), Map.entry("memory.max_usage_in_bytes", "0"), Map.entry("memory.failcnt", "0"),
                    Map.entry("memory.memsw.usage_in_bytes", "0"),
                    Map.entry("memory.stat", "cache 0\nrss 0\ntotal_cache 0\ntotal_rss 0\ntotal_inactive_file 0\n")),
            "cpu", Map.of("cpu.shares", "1024", "cpu.cfs_period_us", "100000", "cpu.cfs_quota_us", "-1", "cpu.cfs_burst_us", "0",
                    "cpu.idle", "0", "cpu.rt_period_us", "1000000", "cpu.rt_runtime_us", "0",
                    "cpu.stat", "nr_periods 0\nnr_throttled 0\nthrottled_time 0\n"),
            "cpuacct", Map.of("cpuacct.usage", "0", "cpuacct.usage_percpu", "0 0 ", "cpuacct.stat", "user 0\nsystem 0\n"),
            "pids", Map.of("pids.max", "max", "pids.current", "0"),
            "freezer", Map.of("freezer.state", "THAWED"),
            "devices", Map.of("devices.allow", "", "devices.deny", "", "devices.list", "a *:* rwm"),
            "blkio", Map.of("blkio.weight", "500", "blkio.throttle.read_bps_device", "", "blkio.throttle.write_bps_device", "",
                    "blkio.throttle.read_iops_device", "", "blkio.throttle.write_iops_device", "",
                    "blkio.throttle.io_service_bytes_recursive", "8:0 Read 4096\n8:0 Write 0\nTotal 4096\n"),
            "systemd", Map.of());

    static final Map<String, String> V2_ROOT = Map.ofEntries(
            Map.entry("cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma"), Map.entry("cgroup.subtree_control", ""),
            Map.entry("cgroup.freeze", "0"), Map.entry("cgroup.events", "populated 0\n"),
            Map.entry("cpuset.cpus", ""), Map.entry("cpuset.mems", ""),
            Map.entry("cpuset.cpus.effective", "0-1"), Map.entry("cpuset.mems.effective", "0"),
            Map.entry("memory.max", "max"), Map.entry("memory.swap.max", "max"), Map.entry("memory.low", "0"),
            Map.entry("memory.current", "0"), Map.entry("memory.swap.current", "0"), Map.entry("memory.peak", "0"),
            Map.entry("memory.stat", "anon 0\nfile 0\ninactive_file 0\n"), Map.entry("memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n"),
            Map.entry("memory.oom.group", "0"),
            Map.entry("cpu.weight", "100"), Map.entry("cpu.max", "max 100000"), Map.entry("cpu.max.burst", "0"), Map.entry("cpu.idle", "0"),
            Map.entry("cpu.stat", "usage_usec 0\nuser_usec 0\nsystem_usec 0\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n"),
            Map.entry("io.weight", "default 100"), Map.entry("io.max", ""), Map.entry("io.stat", ""),
            Map.entry("pids.max", "max"), Map.entry("pids.current", "0"),
            Map.entry("hugetlb.2MB.max", "max"), Map.entry("hugetlb.2MB.current", "0"), Map.entry("hugetlb.2MB.events", "max 0\n"),
            Map.entry("rdma.max", ""));

    static CgroupLayout v1(Path root) throws IOException {
        for (var e : V1.entrySet()) hierarchy(root.resolve(e.getKey()), e.getValue());
        return CgroupLayout.fakeV1(root, "cpuset", "memory", "cpu", "cpuacct", "pids", "freezer", "devices", "blkio", "systemd");
    }

    /** This project's hosts: v1 controllers, cgroup2 at unified/ with only hugetlb. */
    static CgroupLayout hybrid(Path root) throws IOException {
        v1(root);
        Path u = root.resolve("unified");
        hierarchy(u, Map.of("cgroup.controllers", "hugetlb", "cgroup.subtree_control", "", "cgroup.freeze", "0",
                "cgroup.events", "populated 0\n", "hugetlb.2MB.max", "max", "hugetlb.2MB.current", "0",
                "hugetlb.2MB.events", "max 0\n"));
        return CgroupLayout.fakeHybrid(root, "cpuset", "memory", "cpu", "cpuacct", "pids", "freezer", "devices", "blkio", "systemd");
    }

    static CgroupLayout v2(Path root) throws IOException {
        hierarchy(root, V2_ROOT);
        return CgroupLayout.fakeV2(root);
    }

    private static void hierarchy(Path dir, Map<String, String> files) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("cgroup.procs"), "");
        for (var f : files.entrySet()) Files.writeString(dir.resolve(f.getKey()), f.getValue());
    }

    static String read(Path p) {
        try {
            return Files.readString(p).strip();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
