package dev.berth.api.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class BerthdTest {
    static Berthd.Options parse(String hostEnv, String... args) { return Berthd.parse(args, hostEnv, null); }

    @Test
    void defaultsToRunBerthAndVarLibBerth() {
        Berthd.Options o = parse(null);
        assertThat(o.socket()).isEqualTo(Path.of("/run/berth/berth.sock"));
        assertThat(o.root()).isEqualTo(Path.of("/var/lib/berth"));
    }

    @Test
    void hostFromFlagOrEnvironment() {
        assertThat(parse(null, "-H", "unix:///tmp/x/b.sock").socket()).isEqualTo(Path.of("/tmp/x/b.sock"));
        assertThat(parse(null, "--host=/tmp/y.sock").socket()).isEqualTo(Path.of("/tmp/y.sock"));
        assertThat(parse("unix:///tmp/env.sock").socket()).isEqualTo(Path.of("/tmp/env.sock"));
        assertThat(parse("unix:///tmp/env.sock", "-H", "unix:///tmp/flag.sock").socket()).isEqualTo(Path.of("/tmp/flag.sock"));
        assertThat(Berthd.parse(new String[] {"--root", "/srv/b"}, null, "/ignored").root()).isEqualTo(Path.of("/srv/b"));
        assertThat(Berthd.parse(new String[0], null, "/srv/env").root()).isEqualTo(Path.of("/srv/env"));
    }

    @Test
    void badCommandLinesNameWhatIsWrong() {
        assertThatThrownBy(() -> parse(null, "-H", "tcp://0.0.0.0:2375")).hasMessageContaining("only unix:// sockets");
        assertThatThrownBy(() -> parse(null, "-H", "unix://relative.sock")).hasMessageContaining("must be an absolute path");
        assertThatThrownBy(() -> parse(null, "--root")).hasMessageContaining("--root needs a value");
        assertThatThrownBy(() -> parse(null, "--frobnicate")).hasMessageContaining("unknown argument --frobnicate");
    }

    @Test
    void preemptionFlags() {
        Berthd.Options o = parse(null);
        assertThat(o.preempt().interval()).isEqualTo(java.time.Duration.ofMillis(100));
        assertThat(o.preempt().mode()).isEqualTo(dev.berth.engine.priority.Policy.Mode.IMMEDIATE);
        o = parse(null, "--preempt-interval", "250ms", "--preempt-mode=graceful");
        assertThat(o.preempt().interval()).isEqualTo(java.time.Duration.ofMillis(250));
        assertThat(o.preempt().mode()).isEqualTo(dev.berth.engine.priority.Policy.Mode.GRACEFUL);
        assertThat(parse(null, "--preempt-interval=0").preempt().interval()).isZero();
        assertThat(parse(null, "--preempt-interval=2s").preempt().interval()).isEqualTo(java.time.Duration.ofSeconds(2));
        assertThatThrownBy(() -> parse(null, "--preempt-interval", "fast")).hasMessage("--preempt-interval fast: a duration such as 100ms, 1s or 0 (off)");
        assertThatThrownBy(() -> parse(null, "--preempt-interval", "5ms")).hasMessageContaining("at least 10ms");
        assertThatThrownBy(() -> parse(null, "--preempt-mode", "kill")).hasMessage("--preempt-mode kill: immediate or graceful");
    }
}
