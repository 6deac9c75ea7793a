package dev.berth.api.containers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.TestBerthd;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code --label berth.drift=deny-exec} (issue 13 §3), with the real docker CLI through a berthd of
 * the test's own: the kernel (fanotify FAN_OPEN_EXEC_PERM) refuses to execute a file added after
 * start, inside the container and through docker exec; image binaries run; without the label the
 * same file runs; a bad label value is refused at create, leaving nothing.
 */
class DriftDenyExecIT {
  static TestBerthd d;

  @BeforeAll
  static void start() throws Exception {
    d = TestBerthd.start("drift-deny");
    d.docker("run", "-d", "--name", "guarded", "--label", "berth.drift=deny-exec", TestBerthd.IMAGE, "sleep", "600").ok();
    d.docker("run", "-d", "--name", "free", TestBerthd.IMAGE, "sleep", "600").ok();
  }

  @AfterAll
  static void stop() throws Exception {
    if (d != null) {
      d.docker("rm", "-f", "guarded", "free");
      d.close();
    }
  }

  @Test
  void aFileAddedAfterStartIsNotExecutedButImageBinariesAre() throws Exception {
    assertThat(d.docker("exec", "guarded", "sh", "-c", "echo image-binary-ok").ok().out()).contains("image-binary-ok");
    // busybox runs the applet its name says: /tmp/echo is busybox's echo, wherever it is
    TestBerthd.Ran r = d.docker("exec", "guarded", "sh", "-c", "cp /bin/busybox /tmp/echo && /tmp/echo ran-it; echo rc=$?");
    assertThat(r.out()).doesNotContain("ran-it").contains("rc=126"); // the shell's "cannot execute" status
    assertThat(r.out() + r.err()).contains("/tmp/echo: Operation not permitted"); // EPERM from execve
    TestBerthd.Ran viaExec = d.docker("exec", "guarded", "/tmp/echo", "ran-it");
    assertThat(viaExec.code()).isNotZero();
    assertThat(viaExec.out()).doesNotContain("ran-it");
    assertThat(viaExec.out() + viaExec.err()).containsIgnoringCase("operation not permitted");
    // the image's own files still run
    assertThat(d.docker("exec", "guarded", "busybox", "true").code()).isZero();
    // the event is published by the guard's thread after it answered the kernel, and `--until 0s`
    // may round to the second the event falls in: asked again for up to 15 s
    String events = "";
    for (long end = System.nanoTime() + 15_000_000_000L; !events.contains("exec_denied /tmp/echo") && System.nanoTime() < end; ) {
      Thread.sleep(500);
      events = d.docker("events", "--since", "0", "--until", "0s", "--filter", "container=guarded", "--filter", "event=exec_denied",
          "--format", "{{.Action}} {{index .Actor.Attributes \"path\"}}").ok().out();
    }
    assertThat(events).contains("exec_denied /tmp/echo");
  }

  @Test
  void aRestartedBerthdGuardsTheRunningContainerAgain() throws Exception {
    d.docker("run", "-d", "--name", "guarded2", "--label", "berth.drift=deny-exec", TestBerthd.IMAGE, "sleep", "600").ok();
    try {
      d.docker("exec", "guarded2", "cp", "/bin/busybox", "/tmp/echo").ok();
      assertThat(d.docker("exec", "guarded2", "/tmp/echo", "ran-it").code()).isNotZero();
      d.kill9();   // the kernel drops the group with berthd's fd: nothing hangs
      d.restart();
      TestBerthd.Ran r = d.docker("exec", "guarded2", "/tmp/echo", "ran-it");
      assertThat(r.code()).isNotZero();
      assertThat(r.out()).doesNotContain("ran-it");
      assertThat(d.docker("exec", "guarded2", "echo", "image-ok").ok().out()).contains("image-ok");
    } finally {
      d.docker("rm", "-f", "guarded2");
    }
  }

  @Test
  void withoutTheLabelTheSameFileRuns() throws Exception {
    TestBerthd.Ran r = d.docker("exec", "free", "sh", "-c", "cp /bin/busybox /tmp/echo && /tmp/echo ran-it");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("ran-it");
    assertThat(d.docker("exec", "free", "/tmp/echo", "ran-too").ok().out()).contains("ran-too");
  }

  @Test
  void anUnknownValueIsRefusedAtCreateLeavingNothing() throws Exception {
    TestBerthd.Ran r = d.docker("create", "--name", "bad-drift", "--label", "berth.drift=deny-all", TestBerthd.IMAGE, "true");
    assertThat(r.code()).isNotZero();
    assertThat(r.err()).contains("berth.drift=deny-all").contains("deny-exec");
    assertThat(d.docker("ps", "-a", "--filter", "name=bad-drift", "-q").ok().out()).isBlank();
  }
}
