package dev.berth.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class SignalsTest {
    @ParameterizedTest
    @CsvSource({
        "SIGTERM,15", "TERM,15", "term,15", "15,15", "SigKill,9", "SIGHUP,1", "sigusr1,10",
        "SIGUSR2,12", "SIGCHLD,17", "CLD,17", "IOT,6", "SIGPOLL,29", "SIGWINCH,28", "SIGSYS,31",
        "SIGRTMIN,34", "SIGRTMIN+3,37", "rtmin+15,49", "SIGRTMAX,64", "SIGRTMAX-1,63", "64,64", "1,1",
    })
    void parses(String name, int number) {
        assertThat(Signals.parse(name)).isEqualTo(number);
    }

    @ParameterizedTest
    @ValueSource(strings = {"SIGFOO", "", "0", "32", "33", "65", "-1", "SIGRTMIN+31", "SIGRTMAX-31",
        "SIGRTMIN+", "RTMIN+x", "99999999999"})
    void rejects(String name) {
        assertThatThrownBy(() -> Signals.parse(name))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown signal \"" + name + "\"");
    }

    @Test
    void names() {
        assertThat(Signals.name(15)).isEqualTo("SIGTERM");
        assertThat(Signals.name(34)).isEqualTo("SIGRTMIN");
        assertThat(Signals.name(37)).isEqualTo("SIGRTMIN+3");
        assertThat(Signals.name(50)).isEqualTo("SIGRTMAX-14");
        assertThat(Signals.name(64)).isEqualTo("SIGRTMAX");
        for (int i = 1; i <= 64; i++) {
            if (i == 32 || i == 33) {
                continue;
            }
            assertThat(Signals.parse(Signals.name(i))).isEqualTo(i);
        }
        assertThatThrownBy(() -> Signals.name(32)).hasMessage("unknown signal \"32\"");
    }
}
