package dev.berth.api.containers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import dev.berth.api.TestBerthd;
import dev.berth.api.TestBerthd.Ran;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * Preemptive priority classes end to end (issue 13, part 1): berthd's own socket, roots, cgroup
 * parent and Net, the real docker CLI, the real kernel's freezer and CFS quota. A latency-critical
 * busy loop beside a best-effort CPU hog that counts into a bind-mounted file: the hog is held
 * (frozen, or its quota cut step by step), {@code docker events} shows preempt and resume, and once
 * the latency-critical container is gone the hog goes on counting from where it was, same process.
 * Asserts states and events (the host is loaded by other test runs), with generous bounds only on
 * how long to wait for them.
 */
class PriorityIT {
  static final String IMAGE = TestBerthd.IMAGE;
  static final long PID = ProcessHandle.current().pid();
  // A second busy loop beside the counter makes the hog's demand well above one CPU even on a
  // loaded host, so the policy never sees "room for both" beside the latency-critical loop and
  // holds the hog until the latency-critical container is gone (no resume-and-preempt-again).
  static final String HOG_SH = "(while :; do :; done) & i=0; while :; do i=$((i+1)); if [ $((i % 500)) = 0 ]; then echo $i > /work/c.tmp && mv /work/c.tmp /work/count; fi; done";

  @Test
  void unknownClassIsRefusedAtCreateWithNothingLeftBehind() throws Exception {
    try (TestBerthd d = TestBerthd.start("priority-bad")) {
      String name = "prio-bad-" + PID;
      Ran r = d.docker("create", "--name", name, "--label", "berth.priority=urgent", IMAGE, "true");
      assertThat(r.code()).isNotZero();
      assertThat(r.err()).contains("invalid label berth.priority=urgent: allowed values are latency-critical, best-effort or a number 0..100");
      Ran run = d.docker("run", "-d", "--name", name, "--label", "berth.priority=101", IMAGE, "true");
      assertThat(run.code()).isNotZero();
      assertThat(run.err()).contains("berth.priority=101");
      // the status is 400
      Process p = new ProcessBuilder("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--unix-socket", d.socket().toString(),
          "-X", "POST", "-H", "Content-Type: application/json", "-d",
          "{\"Image\":\"" + IMAGE + "\",\"Cmd\":[\"true\"],\"Labels\":{\"berth.priority\":\"soon\"}}",
          "http://localhost/v1.50/containers/create?name=" + name).redirectErrorStream(true).start();
      assertThat(new String(p.getInputStream().readAllBytes()).strip()).isEqualTo("400");
      p.waitFor();
      assertThat(d.docker("ps", "-a", "-q").ok().out().strip()).isEmpty();
      try (var ds = Files.list(d.tmp().resolve("lib/engine/containers"))) {
        assertThat(ds.toList()).isEmpty();
      }
      Path snaps = d.tmp().resolve("lib/containers");
      if (Files.isDirectory(snaps)) {
        try (var ds = Files.list(snaps)) {
          assertThat(ds.toList()).isEmpty();
        }
      }
      // the good ones are taken, and a container without the label shows null class and preemption
      try {
        for (String v : new String[] {"latency-critical", "best-effort", "42"}) {
          d.docker("create", "--name", name + "-" + v, "--label", "berth.priority=" + v, IMAGE, "true").ok();
        }
        d.docker("create", "--name", name + "-none", IMAGE, "true").ok();
        assertThat(d.docker("inspect", "-f", "{{.Berth.Priority}} {{.Berth.Class}}", name + "-42").ok().out().strip()).isEqualTo("42 best-effort");
        assertThat(d.docker("inspect", "-f", "{{json .Berth.Class}} {{json .Berth.Preemption}}", name + "-none").ok().out().strip()).isEqualTo("null null");
      } finally {
        for (String v : new String[] {"latency-critical", "best-effort", "42", "none"}) d.docker("rm", "-f", name + "-" + v);
      }
    }
  }

  @Test
  void immediateFreezesTheHogAndResumesItWithItsWorkIntact() throws Exception {
    try (TestBerthd d = TestBerthd.start("priority-imm")) {
      Run r = new Run(d, "imm");
      try {
        r.startBoth();
        r.awaitPreempted();
        assertThat(r.inspect("{{.Berth.Preemption.Mode}}")).isEqualTo("immediate");
        Path freezer = r.cgroupDir("freezer");
        awaitTrue("hog's freezer.state FROZEN", () -> read(freezer.resolve("freezer.state")).equals("FROZEN"));
        long frozenAt = r.count();
        Thread.sleep(1000);
        assertThat(r.inspect("{{.Berth.Preemption.State}} {{.Berth.Preemption.Count}}"))
            .as("held the whole second, not resumed and preempted again").isEqualTo("preempted 1");
        assertThat(r.count()).as("a frozen hog makes no progress").isEqualTo(frozenAt);
        assertThat(r.events("preempt")).contains("preempt immediate");
        r.stopLatencyCritical();
        r.awaitResumed();
        awaitTrue("hog's freezer.state THAWED", () -> read(freezer.resolve("freezer.state")).equals("THAWED"));
        assertThat(r.events("resume")).contains("resume immediate");
        r.assertWorkContinuesFrom(frozenAt);
        // held again by a new latency-critical container, then removed while frozen: released first, so it dies
        r.startLatencyCritical();
        awaitTrue("hog preempted a second time", () -> r.inspect("{{.Berth.Preemption.Count}}").equals("2")
            && r.inspect("{{.Berth.Preemption.State}}").equals("preempted"));
        awaitTrue("hog's freezer.state FROZEN again", () -> read(freezer.resolve("freezer.state")).equals("FROZEN"));
        d.docker("rm", "-f", r.hog).ok();
        assertThat(d.docker("ps", "-a", "-q", "--filter", "name=" + r.hog).ok().out().strip()).isEmpty();
        assertThat(r.events("resume")).contains("resume immediate");
        assertThat(d.docker("events", "--since", r.since, "--until", Long.toString(Instant.now().getEpochSecond() + 1),
            "--filter", "container=" + r.hog, "--filter", "event=resume", "--format", "{{index .Actor.Attributes \"reason\"}}").ok().out())
            .contains("released for a stop, kill, pause or removal");
      } finally {
        r.removeAll();
      }
    }
  }

  @Test
  void gracefulCutsTheHogsQuotaStepByStepAndGivesItBack() throws Exception {
    try (TestBerthd d = TestBerthd.start("priority-grace", "--preempt-mode", "graceful", "--preempt-interval", "100ms")) {
      Run r = new Run(d, "grace");
      try {
        r.startBoth();
        r.awaitPreempted();
        assertThat(r.inspect("{{.Berth.Preemption.Mode}}")).isEqualTo("graceful");
        Path cpu = r.cgroupDir("cpu");
        awaitTrue("hog's CFS quota cut (1..100000 µs per period)", () -> {
          long q = Long.parseLong(read(cpu.resolve("cpu.cfs_quota_us")));
          return q > 0 && q <= 100_000;
        });
        long heldAt = r.count();
        assertThat(r.events("preempt")).contains("preempt graceful");
        r.stopLatencyCritical();
        r.awaitResumed();
        awaitTrue("hog's CFS quota given back (-1)", () -> read(cpu.resolve("cpu.cfs_quota_us")).equals("-1"));
        assertThat(r.events("resume")).contains("resume graceful");
        r.assertWorkContinuesFrom(heldAt);
      } finally {
        r.removeAll();
      }
    }
  }

  /** One scenario's containers: hog (best-effort, counting) and lc (latency-critical busy loop). */
  static final class Run {
    final TestBerthd d;
    final String hog, lc;
    final Path work;
    final String since = Long.toString(Instant.now().getEpochSecond() - 1);
    int hogPid;
    String hogStarted;

    Run(TestBerthd d, String tag) throws Exception {
      this.d = d;
      this.hog = "prio-hog-" + tag + "-" + PID;
      this.lc = "prio-lc-" + tag + "-" + PID;
      this.work = d.tmp().resolve("work-" + tag);
      Files.createDirectories(work);
    }

    void startBoth() throws Exception {
      d.docker("run", "-d", "--name", hog, "--label", "berth.priority=best-effort", "-v", work + ":/work", IMAGE, "sh", "-c", HOG_SH).ok();
      awaitTrue("the hog counts", () -> count() > 0);
      hogPid = Integer.parseInt(inspect("{{.State.Pid}}"));
      hogStarted = inspect("{{.State.StartedAt}}");
      assertThat(inspect("{{.Berth.Preemption.State}}")).isEqualTo("running");
      startLatencyCritical();
      assertThat(d.docker("inspect", "-f", "{{.Berth.Class}} {{json .Berth.Preemption}}", lc).ok().out().strip()).isEqualTo("latency-critical null");
    }

    void startLatencyCritical() throws Exception {
      d.docker("run", "-d", "--name", lc, "--label", "berth.priority=latency-critical", IMAGE, "sh", "-c", "while :; do :; done").ok();
    }

    void awaitPreempted() throws Exception {
      // bound: 600 intervals of 100 ms; a busy host is slow, never this slow
      awaitTrue("hog preempted (inspect .Berth.Preemption.State)", () -> inspect("{{.Berth.Preemption.State}}").equals("preempted"));
      assertThat(inspect("{{.Berth.Preemption.Since}}")).isNotEmpty();
      assertThat(inspect("{{.Berth.Preemption.Reason}}")).isNotEmpty();
      assertThat(inspect("{{.State.Status}}")).as("preemption is not a pause").isEqualTo("running");
    }

    void stopLatencyCritical() throws Exception {
      d.docker("rm", "-f", lc).ok();
    }

    void awaitResumed() throws Exception {
      awaitTrue("hog resumed", () -> inspect("{{.Berth.Preemption.State}}").equals("running"));
      assertThat(inspect("{{.Berth.Preemption.Count}}")).isEqualTo("1");
      assertThat(inspect("{{.Berth.Preemption.LastResumed}}")).isNotEmpty();
    }

    void assertWorkContinuesFrom(long before) throws Exception {
      awaitTrue("the hog counts on past " + before, () -> count() > before + 1000);
      assertThat(inspect("{{.State.Pid}}")).as("same process: nothing restarted").isEqualTo(Integer.toString(hogPid));
      assertThat(inspect("{{.State.StartedAt}}")).isEqualTo(hogStarted);
      assertThat(inspect("{{.RestartCount}}")).isEqualTo("0");
    }

    /** The actions of the hog's events of one kind with their mode, e.g. "preempt immediate". */
    String events(String action) throws Exception {
      String until = Long.toString(Instant.now().getEpochSecond() + 1);
      return d.docker("events", "--since", since, "--until", until, "--filter", "container=" + hog, "--filter", "event=" + action,
          "--format", "{{.Type}} {{.Action}} {{index .Actor.Attributes \"mode\"}} {{index .Actor.Attributes \"berth.priority\"}}").ok().out()
          .replace("container ", "");
    }

    String inspect(String format) throws Exception {
      return d.docker("inspect", "-f", format, hog).ok().out().strip();
    }

    long count() {
      String s = read(work.resolve("count"));
      try {
        return s.isEmpty() ? 0 : Long.parseLong(s);
      } catch (NumberFormatException e) {
        return 0; // caught between truncate and write
      }
    }

    /** The hog's directory in a v1 hierarchy, from /proc/PID/cgroup. */
    Path cgroupDir(String controller) throws Exception {
      for (String line : Files.readAllLines(Path.of("/proc/" + hogPid + "/cgroup"))) {
        String[] f = line.split(":", 3);
        for (String c : f[1].split(",")) if (c.equals(controller)) return Path.of("/sys/fs/cgroup/" + f[1] + f[2]);
      }
      fail("no " + controller + " hierarchy in /proc/" + hogPid + "/cgroup (a v1 host is needed)");
      return null;
    }

    void removeAll() throws Exception {
      d.docker("rm", "-f", hog, lc);
    }
  }

  static String read(Path p) {
    try {
      return Files.readString(p).strip();
    } catch (Exception e) {
      return "";
    }
  }

  static void awaitTrue(String what, Check c) throws Exception {
    long end = System.nanoTime() + 60_000_000_000L;
    while (System.nanoTime() < end) {
      if (c.ok()) return;
      Thread.sleep(100);
    }
    fail("not within 60 s: " + what);
  }

  interface Check {
    boolean ok() throws Exception;
  }
}
