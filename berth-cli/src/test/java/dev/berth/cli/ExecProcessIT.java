package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.runtime.RuntimeContext;
import dev.berth.runtime.ops.Exec;
import dev.berth.runtime.ops.ExecProcess;
import dev.berth.runtime.state.StateStore;
import dev.berth.spec.Process;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * In-process exec (what berthd does): a container started by bin/berth-runc run -d, then
 * {@link ExecProcess} from this JVM, which stays alive: output, exit code, stdin, the terminal.
 */
class ExecProcessIT extends RuncTest {
  static final Path LAUNCHER = Runc.REPO.resolve("berth-native/target/berth-launch");

  RuntimeContext ctx() {
    return new RuntimeContext(new StateStore(runc.root), LAUNCHER, null, null);
  }

  String started(String id) throws Exception {
    Path b = runc.bundle("b-" + id, c -> {}, "sleep", "600");
    runc.run("run", "-d", "--bundle", b.toString(), id).ok();
    return id;
  }

  static Process with(Process p, boolean tty, String... args) {
    return new Process(tty, null, p.cwd(), p.env(), List.of(args), p.rlimits(), p.apparmorProfile(), p.capabilities(),
        p.noNewPrivileges(), p.oomScoreAdj(), p.selinuxLabel(), p.user());
  }

  record Ran(int code, String out, String err) {}

  Ran exec(String id, boolean tty, byte[] input, String... args) throws Exception {
    var out = new ByteArrayOutputStream();
    var err = new ByteArrayOutputStream();
    Process p = with(Exec.config(ctx(), id).process(), tty, args);
    ExecProcess x = ExecProcess.start(ctx(), id, p, true, out, err);
    if (input != null) x.stdin().write(input);
    if (!tty) x.stdin().close();
    int code = x.onExit().get(60, TimeUnit.SECONDS);
    assertThat(x.pid()).as("pid; stderr: %s", err).isPositive();
    return new Ran(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void outputExitCodeAndStdin() throws Exception {
    String id = started("exec1");
    Ran r = exec(id, false, null, "sh", "-c", "echo out; echo err >&2; exit 5");
    assertThat(r.out()).isEqualTo("out\n");
    assertThat(r.err()).isEqualTo("err\n");
    assertThat(r.code()).isEqualTo(5);
    assertThat(exec(id, false, "data from stdin\n".getBytes(), "cat").out()).isEqualTo("data from stdin\n");
    // the container's pid namespace: its init is 1
    assertThat(exec(id, false, null, "sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '").out()).isEqualTo("sleep 600 ");
    Process p = with(Exec.config(ctx(), id).process(), false, "no-such-program");
    ExecProcess missing = ExecProcess.start(ctx(), id, p, true, null, null);
    assertThat(missing.onExit().get(60, TimeUnit.SECONDS)).isEqualTo(127);
    assertThat(missing.pid()).isEqualTo(-1);
    assertThat(missing.failure()).contains("executable file not found").contains("no-such-program");
  }

  @Test
  void terminalRelayAndResize() throws Exception {
    String id = started("exec2");
    var out = new ByteArrayOutputStream();
    Process p = with(Exec.config(ctx(), id).process(), true, "sh");
    ExecProcess x = ExecProcess.start(ctx(), id, p, true, out, null);
    x.resize(33, 101);
    x.stdin().write("tty; stty size; exit 3\n".getBytes());
    assertThat(x.onExit().get(60, TimeUnit.SECONDS)).isEqualTo(3);
    String s = out.toString(StandardCharsets.UTF_8);
    assertThat(s).contains("/dev/pts/").contains("33 101");
  }

  @Test
  void detachedRunsOnWithoutOutput() throws Exception {
    String id = started("exec3");
    Process p = with(Exec.config(ctx(), id).process(), false, "touch", "/dev/shm/made-by-exec");
    ExecProcess x = ExecProcess.start(ctx(), id, p, false, null, null);
    assertThat(x.onExit().get(60, TimeUnit.SECONDS)).isZero();
    assertThat(exec(id, false, null, "ls", "/dev/shm/made-by-exec").out()).isEqualTo("/dev/shm/made-by-exec\n");
    try (var s = Files.list(runc.root.resolve(".exec"))) {
      assertThat(s.toList()).as("plan, pid file and socket removed").isEmpty();
    }
  }
}
