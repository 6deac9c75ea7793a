package dev.berth.api.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.system.SystemBackend;
import dev.berth.cgroups.CgroupLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostProbeTest {
    @TempDir Path tmp;

    void write(String rel, String text) throws Exception {
        Path p = tmp.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
    }

    @Test
    void readsKernelOsMemoryAndHostnameFromTheKernelsFiles() throws Exception {
        write("proc/sys/kernel/osrelease", "6.18.44-test\n");
        write("proc/sys/kernel/hostname", "node7\n");
        write("proc/sys/net/ipv4/ip_forward", "1\n");
        write("proc/meminfo", "MemTotal:       24682940 kB\nMemFree:  1 kB\n");
        write("etc/os-release", "NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nVERSION_ID=\"12\"\n");
        Path cg = tmp.resolve("cg");
        for (String f : new String[] {"memory/memory.memsw.limit_in_bytes", "memory/memory.kmem.tcp.limit_in_bytes",
                "memory/memory.oom_control", "cpu/cpu.cfs_period_us", "cpu/cpu.cfs_quota_us", "cpu/cpu.shares"})
            write("cg/" + f, "0\n");
        Files.createDirectories(cg.resolve("pids"));
        SystemBackend.HostFacts h = new HostProbe(tmp).probe(CgroupLayout.fakeHybrid(cg, "memory", "cpu", "pids"));
        assertThat(h.kernelVersion()).isEqualTo("6.18.44-test");
        assertThat(h.hostname()).isEqualTo("node7");
        assertThat(h.memTotal()).isEqualTo(24682940L * 1024);
        assertThat(h.operatingSystem()).isEqualTo("Debian GNU/Linux 12 (bookworm)");
        assertThat(h.osVersion()).isEqualTo("12");
        assertThat(h.ipv4Forwarding()).isTrue();
        assertThat(h.ncpu()).isEqualTo(Runtime.getRuntime().availableProcessors());
        SystemBackend.CgroupFacts c = h.cgroup();
        assertThat(c.version()).isEqualTo("1"); // hybrid reports 1, as dockerd does
        assertThat(c.memoryLimit()).isTrue();
        assertThat(c.swapLimit()).isTrue();
        assertThat(c.cpuCfsQuota()).isTrue();
        assertThat(c.pidsLimit()).isTrue();
        assertThat(c.cpuSet()).isFalse();
    }

    @Test
    void v2ReportsVersion2AndItsControllers() throws Exception {
        write("cg/cgroup.controllers", "cpuset cpu io memory pids\n");
        write("cg/init.scope/memory.swap.max", "max\n");
        SystemBackend.CgroupFacts c = HostProbe.cgroup(CgroupLayout.fakeV2(tmp.resolve("cg")));
        assertThat(c.version()).isEqualTo("2");
        assertThat(c.memoryLimit()).isTrue();
        assertThat(c.swapLimit()).isTrue();
        assertThat(c.cpuSet()).isTrue();
        assertThat(c.kernelMemoryTcp()).isFalse();
    }

    @Test
    void missingFilesGiveFallbacksNotErrors() {
        SystemBackend.HostFacts h = new HostProbe(tmp).probe(CgroupLayout.fakeV1(tmp.resolve("cg")));
        assertThat(h.kernelVersion()).isEqualTo("unknown");
        assertThat(h.operatingSystem()).isEqualTo("Linux");
        assertThat(h.memTotal()).isZero();
        assertThat(h.cgroup().memoryLimit()).isFalse();
    }
}
