package dev.berth.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class CapabilitiesTest {
    @Test
    void numbersFollowTheKernelHeader() {
        assertThat(Capabilities.all()).hasSize(41);
        assertThat(Capabilities.number("CAP_CHOWN")).isZero();
        assertThat(Capabilities.number("CAP_KILL")).isEqualTo(5);
        assertThat(Capabilities.number("CAP_NET_BIND_SERVICE")).isEqualTo(10);
        assertThat(Capabilities.number("CAP_SYS_ADMIN")).isEqualTo(21);
        assertThat(Capabilities.number("CAP_AUDIT_WRITE")).isEqualTo(29);
        assertThat(Capabilities.number("CAP_SYSLOG")).isEqualTo(34);
        assertThat(Capabilities.number("CAP_CHECKPOINT_RESTORE")).isEqualTo(40);
        assertThat(Capabilities.name(39)).isEqualTo("CAP_BPF");
    }

    @Test
    void maskOfDockerDefaults() {
        List<String> docker = List.of("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER",
                "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
                "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE");
        // the well-known CapEff of a default Docker container
        assertThat(Capabilities.mask(docker)).isEqualTo(0x00000000a80425fbL);
        assertThat(Capabilities.names(0x00000000a80425fbL)).containsExactlyInAnyOrderElementsOf(docker);
        assertThat(Capabilities.mask(List.of())).isZero();
    }

    @Test
    void unknownNamesAreNamed() {
        assertThatThrownBy(() -> Capabilities.mask(List.of("CAP_CHOWN", "CAP_FOO")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown capability \"CAP_FOO\"");
        assertThatThrownBy(() -> Capabilities.number("sys_admin"))
                .hasMessage("unknown capability \"sys_admin\"");
        assertThatThrownBy(() -> Capabilities.name(41)).hasMessage("unknown capability number 41");
    }

    @Test
    void lastCapComesFromTheKernel() {
        assertThat(Capabilities.lastCap()).isBetween(36L, 63L);
    }
}
