package dev.berth.api.containers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.api.TestBerthd;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Restart policies and health checks through the real docker CLI against bin/berthd (root, real
 * kernel, busybox image): back-off, RestartCount, a user's stop, docker update --restart, policies
 * across a kill -9 of berthd, health transitions, ps, filters, Health.Log, NONE, probe timeouts.
 * Time bounds are generous (the machine is shared); only lower bounds on delays are asserted.
 */
class RestartHealthIT {
  static final ObjectMapper M = new ObjectMapper();
  static final String U = "rh" + ProcessHandle.current().pid() + "-";
  static TestBerthd d;

  @BeforeAll
  static void start() throws Exception {
    d = TestBerthd.start("restart-health");
  }

  @AfterAll
  static void stop() throws Exception {
    if (d == null) return;
    try {
      TestBerthd.Ran ps = d.docker("ps", "-aq");
      for (String id : ps.out().split("\\s+")) if (!id.isBlank()) d.docker("rm", "-f", id);
    } finally {
      d.close();
    }
  }

  static JsonNode inspect(String name) throws Exception {
    TestBerthd.Ran r = d.docker("inspect", name).ok();
    return M.readTree(r.out()).get(0);
  }

  static JsonNode await(String name, String what, Predicate<JsonNode> p, int seconds) throws Exception {
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    JsonNode last = null;
    while (System.nanoTime() < end) {
      last = inspect(name);
      if (p.test(last)) return last;
      Thread.sleep(200);
    }
    fail(name + ": not " + what + " within " + seconds + " s: " + (last == null ? "" : last.get("State")) + "\n" + d.log());
    return null;
  }

  static boolean exited(JsonNode i) { return i.path("State").path("Status").asText().equals("exited"); }

  static boolean running(JsonNode i) { return i.path("State").path("Status").asText().equals("running"); }

  @Test
  void onFailureRestartsWithGrowingDelaysThenStops() throws Exception {
    // every run prints the host's uptime (1/100 s) at its start: the gaps are at least the delays
    String script = "cut -d' ' -f1 /proc/uptime; exit 3";
    d.docker("run", "-d", "--name", U + "of2", "--restart", "on-failure:2", TestBerthd.IMAGE, "sh", "-c", script).ok();
    d.docker("run", "-d", "--name", U + "of5", "--restart", "on-failure:5", TestBerthd.IMAGE, "sh", "-c", script).ok();
    JsonNode two = await(U + "of2", "exited after 2 restarts", i -> exited(i) && i.path("RestartCount").asInt() == 2, 120);
    assertThat(two.path("State").path("ExitCode").asInt()).isEqualTo(3);
    assertThat(two.path("State").path("Restarting").asBoolean()).isFalse();
    assertThat(two.path("HostConfig").path("RestartPolicy").path("MaximumRetryCount").asInt()).isEqualTo(2);
    Thread.sleep(1500);
    assertThat(inspect(U + "of2").path("RestartCount").asInt()).as("no third restart").isEqualTo(2);
    assertThat(d.docker("logs", U + "of2").ok().out().strip().split("\n")).hasSize(3);

    JsonNode five = await(U + "of5", "exited after 5 restarts", i -> exited(i) && i.path("RestartCount").asInt() == 5, 180);
    assertThat(five.path("State").path("ExitCode").asInt()).isEqualTo(3);
    List<Double> t = new ArrayList<>();
    for (String l : d.docker("logs", U + "of5").ok().out().strip().split("\n")) t.add(Double.parseDouble(l.strip()));
    assertThat(t).hasSize(6);
    List<Double> gaps = new ArrayList<>();
    for (int i = 1; i < t.size(); i++) gaps.add(t.get(i) - t.get(i - 1));
    // delays 0.1, 0.2, 0.4, 0.8, 1.6 s (uptime has 1/100 s steps): each gap holds its delay
    for (int i = 0; i < gaps.size(); i++) {
      assertThat(gaps.get(i)).as("gap %d of %s", i, gaps).isGreaterThanOrEqualTo(0.1 * (1 << i) - 0.011);
    }
    assertThat(gaps.get(4)).as("gaps %s", gaps).isGreaterThan(gaps.get(0));
  }

  @Test
  void alwaysStopsForAUsersStopAndWhileRestarting() throws Exception {
    d.docker("run", "-d", "--name", U + "alw", "--restart", "always", TestBerthd.IMAGE, "sleep", "600").ok();
    d.docker("stop", "-t", "1", U + "alw").ok();
    Thread.sleep(2000);
    JsonNode i = inspect(U + "alw");
    assertThat(i.path("State").path("Status").asText()).isEqualTo("exited");
    assertThat(i.path("RestartCount").asInt()).isZero();

    // a container that keeps failing: its delays grow until one is seen waiting ("restarting")
    d.docker("run", "-d", "--name", U + "flap", "--restart", "always", TestBerthd.IMAGE, "sh", "-c", "exit 1").ok();
    JsonNode r = await(U + "flap", "restarting", x -> x.path("State").path("Restarting").asBoolean(), 120);
    assertThat(r.path("State").path("Running").asBoolean()).as("dockerd: Running while restarting").isTrue();
    assertThat(r.path("State").path("Status").asText()).isEqualTo("restarting");
    TestBerthd.Ran ps = d.docker("ps", "--filter", "name=" + U + "flap", "--format", "{{.Status}}").ok();
    assertThat(ps.out()).satisfiesAnyOf(o -> assertThat(o).startsWith("Restarting (1)"), o -> assertThat(o).startsWith("Up"));
    d.docker("stop", U + "flap").ok();
    JsonNode s = inspect(U + "flap");
    int count = s.path("RestartCount").asInt();
    assertThat(s.path("State").path("Status").asText()).isEqualTo("exited");
    Thread.sleep(3000);
    JsonNode later = inspect(U + "flap");
    assertThat(later.path("State").path("Status").asText()).isEqualTo("exited");
    assertThat(later.path("RestartCount").asInt()).as("the pending restart was cancelled").isEqualTo(count);
    // a manual start resets the count
    d.docker("start", U + "alw").ok();
    assertThat(inspect(U + "alw").path("RestartCount").asInt()).isZero();
    d.docker("rm", "-f", U + "alw", U + "flap").ok();
  }

  @Test
  void updateRestartOnALiveContainer() throws Exception {
    d.docker("run", "-d", "--name", U + "upd", TestBerthd.IMAGE, "sh", "-c", "sleep 4; exit 7").ok();
    d.docker("update", "--restart", "on-failure:1", U + "upd").ok();
    assertThat(inspect(U + "upd").path("HostConfig").path("RestartPolicy").path("Name").asText()).isEqualTo("on-failure");
    JsonNode i = await(U + "upd", "restarted once and exited", x -> exited(x) && x.path("RestartCount").asInt() == 1, 120);
    assertThat(i.path("State").path("ExitCode").asInt()).isEqualTo(7);
    TestBerthd.Ran bad = d.docker("update", "--restart", "always", U + "rm-nope");
    assertThat(bad.code()).isNotZero();
    d.docker("run", "-d", "--rm", "--name", U + "auto", TestBerthd.IMAGE, "sleep", "600").ok();
    TestBerthd.Ran ar = d.docker("update", "--restart", "always", U + "auto");
    assertThat(ar.code()).isNotZero();
    assertThat(ar.err()).contains("Restart policy cannot be updated because AutoRemove is enabled for the container");
    d.docker("rm", "-f", U + "upd", U + "auto").ok();
  }

  @Test
  void policiesAcrossAKill9OfBerthd() throws Exception {
    d.docker("run", "-d", "--name", U + "ka", "--restart", "always", TestBerthd.IMAGE, "sleep", "600").ok();
    d.docker("run", "-d", "--name", U + "kus", "--restart", "unless-stopped", TestBerthd.IMAGE, "sleep", "600").ok();
    d.docker("run", "-d", "--name", U + "kdn", "--restart", "unless-stopped", TestBerthd.IMAGE, "sleep", "600").ok();
    d.docker("run", "-d", "--name", U + "kup", "--restart", "unless-stopped", TestBerthd.IMAGE, "sleep", "600").ok();
    d.docker("stop", "-t", "1", U + "ka", U + "kus").ok();
    int pid = inspect(U + "kdn").path("State").path("Pid").asInt();
    assertThat(pid).isPositive();
    d.kill9();
    // while berthd is down, one container ends: the new berthd restarts it per its policy
    new ProcessBuilder("kill", "-9", Integer.toString(pid)).inheritIO().start().waitFor();
    Thread.sleep(1000);
    d.restart();
    JsonNode a = await(U + "ka", "running (always: restarted at berthd's start)", RestartHealthIT::running, 60);
    assertThat(a.path("State").path("Running").asBoolean()).isTrue();
    JsonNode dn = await(U + "kdn", "restarted", x -> running(x) && x.path("RestartCount").asInt() >= 1, 60);
    assertThat(dn.path("State").path("Pid").asInt()).isNotEqualTo(pid);
    assertThat(inspect(U + "kup").path("State").path("Pid").asInt()).as("still the same run (live restore)").isPositive();
    assertThat(running(inspect(U + "kup"))).isTrue();
    Thread.sleep(2000);
    assertThat(inspect(U + "kus").path("State").path("Status").asText()).as("unless-stopped stays stopped").isEqualTo("exited");
    d.docker("rm", "-f", U + "ka", U + "kus", U + "kdn", U + "kup").ok();
  }

  static String health(JsonNode i) { return i.path("State").path("Health").path("Status").asText(""); }

  @Test
  void healthStartingUnhealthyHealthy() throws Exception {
    String h = U + "hc";
    d.docker("run", "-d", "--name", h, "--health-cmd", "test -f /tmp/ok", "--health-interval=1s", "--health-retries=2",
        "--health-start-period=5s", "--health-start-interval=1s", TestBerthd.IMAGE, "sleep", "600").ok();
    d.docker("run", "-d", "--name", U + "nohc", TestBerthd.IMAGE, "sleep", "600").ok();
    JsonNode first = inspect(h);
    assertThat(health(first)).isEqualTo("starting");
    assertThat(first.path("Config").path("Healthcheck").path("Test").toString()).isEqualTo("[\"CMD-SHELL\",\"test -f /tmp/ok\"]");
    assertThat(first.path("Config").path("Healthcheck").path("Interval").asLong()).isEqualTo(1_000_000_000L);
    assertThat(d.docker("ps", "--filter", "name=" + h, "--format", "{{.Status}}").ok().out()).contains("(health: starting)");
    JsonNode bad = await(h, "unhealthy", x -> health(x).equals("unhealthy"), 90);
    assertThat(bad.path("State").path("Health").path("FailingStreak").asInt()).isGreaterThanOrEqualTo(2);
    JsonNode entry = bad.path("State").path("Health").path("Log").get(0);
    assertThat(entry.path("ExitCode").asInt()).isEqualTo(1);
    assertThat(entry.path("Start").asText()).isNotEmpty();
    assertThat(d.docker("ps", "--filter", "health=unhealthy", "--format", "{{.Names}}").ok().out()).contains(h);
    assertThat(d.docker("ps", "--filter", "name=" + h, "--format", "{{.Status}}").ok().out()).contains("(unhealthy)");

    d.docker("exec", h, "touch", "/tmp/ok").ok();
    await(h, "healthy", x -> health(x).equals("healthy"), 90);
    assertThat(d.docker("ps", "--filter", "name=" + h, "--format", "{{.Status}}").ok().out()).matches("(?s)Up .* \\(healthy\\)\\s*");
    assertThat(d.docker("ps", "--filter", "health=healthy", "--format", "{{.Names}}").ok().out()).contains(h).doesNotContain(U + "nohc");
    assertThat(d.docker("ps", "--filter", "health=unhealthy", "--format", "{{.Names}}").ok().out()).doesNotContain(h);
    assertThat(d.docker("ps", "--filter", "health=none", "--format", "{{.Names}}").ok().out()).contains(U + "nohc").doesNotContain(h);
    TestBerthd.Ran badFilter = d.docker("ps", "--filter", "health=sick");
    assertThat(badFilter.code()).isNotZero();
    assertThat(badFilter.err()).contains("Unrecognised filter value for health: sick");

    // more than five probes have run: the log keeps the last five
    JsonNode full = await(h, "5 log entries", x -> x.path("State").path("Health").path("Log").size() == 5, 90);
    Thread.sleep(2500);
    JsonNode later = inspect(h);
    assertThat(later.path("State").path("Health").path("Log").size()).isEqualTo(5);
    assertThat(later.path("State").path("Health").path("Log").get(4).path("End").asText())
        .isNotEqualTo(full.path("State").path("Health").path("Log").get(4).path("End").asText());
    assertThat(later.path("State").path("Health").path("FailingStreak").asInt()).isZero();
    assertThat(d.docker("inspect", "--format", "{{json .ExecIDs}}", h).ok().out().strip()).as("probes do not pile up").isIn("null", "[]");

    // stopped: no more probes, the last status kept
    d.docker("stop", "-t", "1", h).ok();
    int n = inspect(h).path("State").path("Health").path("Log").size();
    Thread.sleep(2500);
    assertThat(inspect(h).path("State").path("Health").path("Log").size()).isEqualTo(n);
    d.docker("rm", "-f", h, U + "nohc").ok();
  }

  @Test
  void imageCheckNoneAndMerge() throws Exception {
    Path dir = Files.createTempDirectory(d.tmp(), "hcimg");
    ProcessBuilder pb = new ProcessBuilder("sh", TestBerthd.REPO.resolve("scripts/mk-oci-image.sh").toString(), dir.toString(),
        "localhost/berth/hc:latest").redirectErrorStream(true);
    pb.environment().put("MK_OCI_CONFIG_EXTRA", "\"Healthcheck\":{\"Test\":[\"CMD-SHELL\",\"echo image-check; exit 1\"],\"Interval\":1000000000,\"Retries\":1}");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as(out).isZero();
    d.docker("load", "-i", dir.resolve("image.tar").toString()).ok();

    d.docker("run", "-d", "--name", U + "img", "localhost/berth/hc", "sleep", "600").ok();
    d.docker("run", "-d", "--name", U + "none", "--no-healthcheck", "localhost/berth/hc", "sleep", "600").ok();
    d.docker("run", "-d", "--name", U + "merged", "--health-interval=2s", "localhost/berth/hc", "sleep", "600").ok();
    JsonNode img = await(U + "img", "unhealthy (the image's check)", x -> health(x).equals("unhealthy"), 90);
    assertThat(img.path("State").path("Health").path("Log").get(0).path("Output").asText()).isEqualTo("image-check\n");
    JsonNode merged = inspect(U + "merged");
    assertThat(merged.path("Config").path("Healthcheck").path("Test").get(1).asText()).isEqualTo("echo image-check; exit 1");
    assertThat(merged.path("Config").path("Healthcheck").path("Interval").asLong()).isEqualTo(2_000_000_000L);
    Thread.sleep(3000);
    JsonNode none = inspect(U + "none");
    assertThat(none.path("Config").path("Healthcheck").path("Test").get(0).asText()).isEqualTo("NONE");
    assertThat(none.path("State").has("Health")).isFalse();
    assertThat(d.docker("ps", "--filter", "name=" + U + "none", "--format", "{{.Status}}").ok().out()).doesNotContain("(");
    d.docker("rm", "-f", U + "img", U + "none", U + "merged").ok();
  }

  @Test
  void aSlowProbeTimesOut() throws Exception {
    String h = U + "slow";
    d.docker("run", "-d", "--name", h, "--health-cmd", "echo started; sleep 30", "--health-timeout=1s", "--health-interval=1s",
        "--health-retries=1", TestBerthd.IMAGE, "sleep", "600").ok();
    JsonNode i = await(h, "unhealthy", x -> health(x).equals("unhealthy"), 120);
    JsonNode e = i.path("State").path("Health").path("Log").get(0);
    assertThat(e.path("ExitCode").asInt()).isEqualTo(-1);
    assertThat(e.path("Output").asText()).isEqualTo("Health check exceeded timeout (1s): started\n");
    TestBerthd.Ran bad = d.docker("run", "-d", "--name", U + "neg", "--health-retries=-1", "--health-cmd", "true", TestBerthd.IMAGE, "true");
    assertThat(bad.code()).isNotZero();
    d.docker("rm", "-f", h).ok();
  }
}
