package dev.berth.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RlimitsTest {
    @Test
    void resourceNumbers() {
        assertThat(Rlimits.resource("RLIMIT_CPU")).isZero();
        assertThat(Rlimits.resource("RLIMIT_CORE")).isEqualTo(4);
        assertThat(Rlimits.resource("RLIMIT_NPROC")).isEqualTo(6);
        assertThat(Rlimits.resource("RLIMIT_NOFILE")).isEqualTo(7);
        assertThat(Rlimits.resource("RLIMIT_AS")).isEqualTo(9);
        assertThat(Rlimits.resource("RLIMIT_RTTIME")).isEqualTo(15);
        assertThat(Rlimits.name(7)).isEqualTo("RLIMIT_NOFILE");
        assertThat(Rlimits.all()).hasSize(16);
    }

    @Test
    void unknownIsNamed() {
        assertThatThrownBy(() -> Rlimits.resource("RLIMIT_FOO"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown rlimit \"RLIMIT_FOO\"");
    }
}
