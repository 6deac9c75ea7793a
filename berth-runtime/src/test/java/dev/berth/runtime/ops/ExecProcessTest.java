package dev.berth.runtime.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.sys.Errno;
import dev.berth.sys.Pty;
import dev.berth.sys.RecordingSyscalls;
import dev.berth.sys.SyscallException;
import org.junit.jupiter.api.Test;

/** The console-socket hand-over of an exec's pty master, through {@link dev.berth.sys.Syscalls}, without root. */
class ExecProcessTest {
  static java.lang.Process ended() throws Exception {
    java.lang.Process p = new ProcessBuilder("true").start();
    p.waitFor();
    return p;
  }

  @Test
  void theMasterIsReceivedAndTheConnectionClosed() throws Exception {
    var sys = new RecordingSyscalls().pollAnswer(Pty.POLLIN);
    int listen = sys.unixListen("/run/x.sock");
    int master = ExecProcess.receiveMaster(sys, listen, ended());
    assertThat(sys.openFds()).containsOnlyKeys(listen, master);
    assertThat(sys.openFds().get(master)).startsWith("received on connection on listen /run/x.sock");
    assertThat(sys.names()).containsExactly("unixListen", "poll", "accept", "receiveFd", "close");
  }

  @Test
  void aMessageWithoutADescriptorIsAnErrorAndLeavesNoConnection() throws Exception {
    var sys = new RecordingSyscalls().pollAnswer(Pty.POLLIN).failOn("receiveFd", Errno.EINVAL);
    int listen = sys.unixListen("/run/x.sock");
    assertThatThrownBy(() -> ExecProcess.receiveMaster(sys, listen, ended())).isInstanceOf(SyscallException.class)
        .hasMessageContaining("EINVAL");
    assertThat(sys.openFds()).containsOnlyKeys(listen); // the accepted connection was closed
  }

  @Test
  void aLauncherThatEndsWithoutConnectingIsMinusOne() throws Exception {
    var sys = new RecordingSyscalls(); // nothing ever ready
    int listen = sys.unixListen("/run/x.sock");
    assertThat(ExecProcess.receiveMaster(sys, listen, ended())).isEqualTo(-1);
    assertThat(sys.names()).containsExactly("unixListen", "poll");
  }

  @Test
  void aClosedConsoleSocketIsAnErrorNotAHang() throws Exception {
    var sys = new RecordingSyscalls();
    java.lang.Process alive = new ProcessBuilder("sleep", "30").start();
    try {
      assertThatThrownBy(() -> ExecProcess.receiveMaster(sys, 12345, alive)).isInstanceOf(SyscallException.class)
          .hasMessageContaining("console socket");
    } finally {
      alive.destroyForcibly().waitFor();
    }
  }
}
