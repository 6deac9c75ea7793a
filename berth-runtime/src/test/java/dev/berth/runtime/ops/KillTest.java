package dev.berth.runtime.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.sys.Errno;
import dev.berth.sys.RecordingSyscalls;
import dev.berth.sys.SyscallException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The kill verb's signalling through {@link dev.berth.sys.Syscalls}, its failure paths without root. */
class KillTest {
  @Test
  void aSignalGoesToTheInit() {
    var sys = new RecordingSyscalls().live(4100);
    Kill.signal(sys, 4100, 10);
    assertThat(sys.log()).containsExactly("kill 4100 10");
  }

  @Test
  void killOrTermOfAnInitThatJustExitedIsDone() {
    var sys = new RecordingSyscalls(); // 4100 is gone: ESRCH
    Kill.signal(sys, 4100, 9);
    Kill.signal(sys, 4100, 15);
    assertThat(sys.log()).containsExactly("kill 4100 9", "kill 4100 15");
  }

  @Test
  void anotherSignalToAGoneProcessOrAnyRefusalIsReported() {
    var sys = new RecordingSyscalls();
    assertThatThrownBy(() -> Kill.signal(sys, 4100, 10)).isInstanceOf(SyscallException.class)
        .hasMessageContaining("kill 4100").hasMessageContaining("ESRCH");
    var denied = new RecordingSyscalls().live(4100).failOn("kill", Errno.EPERM);
    assertThatThrownBy(() -> Kill.signal(denied, 4100, 9)).isInstanceOf(SyscallException.class)
        .hasMessageContaining("EPERM");
  }

  @Test
  void killAllGoesOnPastAProcessThatCannotBeSignalled() {
    var sys = new RecordingSyscalls().live(10, 12).failOnce("kill", Errno.EPERM);
    Kill.signalAll(sys, List.of(10, 11, 12), 9);
    // 10 refused (EPERM), 11 gone (ESRCH): 12 is still signalled
    assertThat(sys.log()).containsExactly("kill 10 9", "kill 11 9", "kill 12 9");
    assertThat(sys.alive(12)).isFalse(); // the double's SIGKILL ends it
  }

  @Test
  void badSignalNamesAreRefusedBeforeAnything() {
    assertThatThrownBy(() -> Kill.parseSignal("SIGNOPE")).hasMessageContaining("SIGNOPE");
  }
}
