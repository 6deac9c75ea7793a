package dev.berth.cgroups;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class CgroupLayoutTest {
    static final String HYBRID_MOUNTINFO = """
            30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
            31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
            32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
            33 30 0:30 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
            34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
            39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
            40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
            """;
    static final String HYBRID_SELF = "9:name=systemd:/\n4:memory:/process_api/7c0b\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n0::/\n";

    @Test
    void thisProjectsHostsAreHybrid() {
        CgroupLayout l = CgroupLayout.parse(HYBRID_MOUNTINFO, HYBRID_SELF);
        assertThat(l.kind()).isEqualTo(Layout.HYBRID);
        assertThat(l.unifiedMount()).isEqualTo(Path.of("/sys/fs/cgroup/unified"));
        assertThat(l.hierarchies()).hasSize(5);
        assertThat(l.hierarchy("memory").ownPath()).isEqualTo("/process_api/7c0b");
        assertThat(l.hierarchy("name=systemd").mount()).isEqualTo(Path.of("/sys/fs/cgroup/systemd"));
    }

    @Test
    void mountsListEveryHierarchyOnceWithTheDataThatSelectsIt() {
        CgroupLayout l = CgroupLayout.parse(HYBRID_MOUNTINFO + "41 30 0:28 / /mnt/cpu-again rw - cgroup cgroup rw,cpu\n", HYBRID_SELF);
        assertThat(l.mounts()).containsExactly(
                new CgroupLayout.Mount(Path.of("/sys/fs/cgroup/cpu"), "cgroup", "cpu"),
                new CgroupLayout.Mount(Path.of("/sys/fs/cgroup/cpuacct"), "cgroup", "cpuacct"),
                new CgroupLayout.Mount(Path.of("/sys/fs/cgroup/cpuset"), "cgroup", "cpuset"),
                new CgroupLayout.Mount(Path.of("/sys/fs/cgroup/memory"), "cgroup", "memory"),
                new CgroupLayout.Mount(Path.of("/sys/fs/cgroup/systemd"), "cgroup", "name=systemd"),
                new CgroupLayout.Mount(Path.of("/sys/fs/cgroup/unified"), "cgroup2", ""));
        assertThat(l.mounts().getLast().name()).isEqualTo("unified");
        CgroupLayout co = CgroupLayout.parse("25 20 0:22 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n", "3:cpu,cpuacct:/\n");
        assertThat(co.mounts()).containsExactly(new CgroupLayout.Mount(Path.of("/sys/fs/cgroup/cpu,cpuacct"), "cgroup", "cpu,cpuacct"));
    }

    @Test
    void mountOfNamesTheHierarchyOfADirectory() {
        CgroupLayout l = CgroupLayout.parse(HYBRID_MOUNTINFO, HYBRID_SELF);
        assertThat(l.mountOf(Path.of("/sys/fs/cgroup/memory/berth/c1")))
                .isEqualTo(new CgroupLayout.Mount(Path.of("/sys/fs/cgroup/memory"), "cgroup", "memory"));
        assertThat(l.mountOf(Path.of("/sys/fs/cgroup/unified/berth/c1")).fstype()).isEqualTo("cgroup2");
        assertThat(l.mountOf(Path.of("/sys/fs/cgroup/memoryX/c1"))).as("a component, not a string prefix").isNull();
        assertThat(l.mountOf(Path.of("/tmp/c1"))).isNull();
        // v2 at /sys/fs/cgroup with a v1 hierarchy mounted below it: the longer mount point wins
        CgroupLayout nested = CgroupLayout.parse("""
                29 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw
                30 29 0:27 / /sys/fs/cgroup/net_cls rw - cgroup cgroup rw,net_cls
                """, "0::/\n1:net_cls:/\n");
        assertThat(nested.mountOf(Path.of("/sys/fs/cgroup/net_cls/berth/c1")).options()).isEqualTo("net_cls");
        assertThat(nested.mountOf(Path.of("/sys/fs/cgroup/berth/c1")).fstype()).isEqualTo("cgroup2");
    }

    @Test
    void comountedV1() {
        CgroupLayout l = CgroupLayout.parse("""
                25 20 0:22 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct
                26 20 0:23 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
                """, "3:cpu,cpuacct:/a\n2:memory:/docker/abc/inner\n");
        assertThat(l.kind()).isEqualTo(Layout.V1);
        assertThat(l.hierarchy("cpuacct").controllers()).isEqualTo(Set.of("cpu", "cpuacct"));
        assertThat(l.hierarchy("cpu").ownPath()).isEqualTo("/a");
        // inside a container the mount root is stripped from our own path
        assertThat(l.hierarchy("memory").ownPath()).isEqualTo("/inner");
    }

    @Test
    void unifiedOnly() {
        CgroupLayout l = CgroupLayout.parse("29 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n", "0::/user.slice/x.scope\n");
        assertThat(l.kind()).isEqualTo(Layout.V2);
        assertThat(l.unifiedOwnPath()).isEqualTo("/user.slice/x.scope");
    }

    @Test
    void detectsThisHost() {
        CgroupLayout l = CgroupLayout.detect();
        System.out.println("[berth-cgroups] this host: " + l.describe());
        assertThat(l.kind()).isNotNull();
    }
}
