package dev.berth.sys;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** execve replaces a whole JVM, so it is tested in a child JVM running {@link ExecveMain}. */
class ExecveTest {
    @Test
    void execveKeepsThePlanFdAndDropsCloexecOnes() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        String cp = Path.of("target/classes").toAbsolutePath() + File.pathSeparator
                + Path.of("target/test-classes").toAbsolutePath();
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-Xshare:auto",
                "-cp", cp, ExecveMain.class.getName()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(out).isEqualTo("the plan\narg0 arg1 env-ok\nclosed\n");
        assertThat(p.exitValue()).isZero();
    }
}
