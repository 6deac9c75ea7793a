package dev.berth.cgroups;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CgroupPathTest {
    @Test
    void defaultsToBerthId() {
        assertThat(CgroupPath.resolve(null, "abc")).isEqualTo(new CgroupPath("/berth/abc", false));
    }

    @Test
    void anotherDefaultParentIsOneNameAndOnlyForConfigsWithoutAPath() {
        assertThat(CgroupPath.resolve(null, "abc", "berth-test-1")).isEqualTo(new CgroupPath("/berth-test-1/abc", false));
        assertThat(CgroupPath.resolve("/x/abc", "abc", "berth-test-1")).isEqualTo(new CgroupPath("/x/abc", false));
        for (String bad : new String[] {"", "a/b", "..", ".hidden"}) {
            assertThatThrownBy(() -> CgroupPath.resolve(null, "abc", bad)).hasMessageContaining("cgroup parent");
        }
    }

    @Test
    void absoluteAndRelative() {
        assertThat(CgroupPath.resolve("/x//y/./z", "id")).isEqualTo(new CgroupPath("/x/y/z", false));
        CgroupPath rel = CgroupPath.resolve("pods/c", "id");
        assertThat(rel.relative()).isTrue();
        assertThat(rel.under("/user.slice/session-1.scope")).isEqualTo("/user.slice/session-1.scope/pods/c");
        assertThat(rel.under("/")).isEqualTo("/pods/c");
        assertThatThrownBy(() -> CgroupPath.resolve("/a/../b", "id")).hasMessageContaining("must not contain ..");
    }

    @Test
    void systemdForm() {
        assertThat(CgroupPath.resolve("system.slice:docker:abc", "abc").path()).isEqualTo("/system.slice/docker-abc.scope");
        assertThat(CgroupPath.resolve(":berth:abc", "abc").path()).isEqualTo("/system.slice/berth-abc.scope");
        assertThat(CgroupPath.resolve("a-b-c.slice:p:n", "n").path()).isEqualTo("/a.slice/a-b.slice/a-b-c.slice/p-n.scope");
        assertThat(CgroupPath.resolve("-.slice::n", "n").path()).isEqualTo("/n.scope");
    }
}
