package dev.berth.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.sys.Errno;
import dev.berth.sys.RecordingSyscalls;
import dev.berth.sys.SyscallException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The hand-over without the wrapper (plan in a memfd, then execve of the launcher) with berth-sys's
 * recording double: the calls in their order, and a failed step leaving no descriptor behind.
 */
class LauncherExecTest {
    static final Path LAUNCHER = Path.of("/opt/berth/berth-launch");

    @Test void thePlanGoesToTheLauncherInAMemfdRewound() {
        RecordingSyscalls sys = new RecordingSyscalls();
        assertThatThrownBy(() -> Launcher.execPlan(sys, LAUNCHER, new byte[] {'P', 'L'}))
                .isInstanceOf(SyscallException.class);   // the double cannot become another program
        int fd = 100;   // the double's first descriptor
        assertThat(sys.log()).containsExactly("memfdCreate berth-plan 0", "writeFully " + fd + " PL", "lseek " + fd + " 0 0",
                "execve /opt/berth/berth-launch [berth-launch, --plan-fd, " + fd + "] []", "close " + fd);
        assertThat(sys.openFds()).isEmpty();
    }

    @Test void aFailedWriteClosesTheMemfdAndExecsNothing() {
        RecordingSyscalls sys = new RecordingSyscalls().failOn("writeFully", Errno.ENOSPC);
        assertThatThrownBy(() -> Launcher.execPlan(sys, LAUNCHER, new byte[64]))
                .isInstanceOf(SyscallException.class).hasMessageContaining("No space left on device");
        assertThat(sys.names()).containsExactly("memfdCreate", "writeFully", "close");
        assertThat(sys.openFds()).isEmpty();
    }
}
