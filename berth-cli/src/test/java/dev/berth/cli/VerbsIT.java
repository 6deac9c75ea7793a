package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The verbs bin/berth-runc hands to the launcher (berth-native verbs.c: state, kill, delete, start,
 * pause, resume, ps --format json) on real containers: what they print, their errors and exit codes
 * are the JVM path's ({@code BERTH_NO_FAST=1}) for the same container, and no JVM runs
 * ({@code BERTH_TRACE=1} makes a JVM print marks on stderr).
 */
class VerbsIT extends RuncTest {
  static final Map<String, String> TRACE = Map.of("BERTH_TRACE", "1");
  static final Map<String, String> JVM = Map.of("BERTH_NO_FAST", "1");

  /** The launcher's answer, asserting no JVM ran. */
  Runc.Result nativ(String... args) throws Exception {
    Runc.Result r = runc.exec(TRACE, 60, args);
    assertThat(r.err()).as("no JVM for %s", List.of(args)).doesNotContain("berth-trace");
    return r;
  }

  Runc.Result jvm(String... args) throws Exception {
    return runc.exec(JVM, 60, args);
  }

  /** Same output, error and exit code through both paths (for verbs that change nothing). */
  void same(String... args) throws Exception {
    Runc.Result n = nativ(args), j = jvm(args);
    assertThat(n.out()).as("stdout of %s", List.of(args)).isEqualTo(j.out());
    assertThat(n.err()).as("stderr of %s", List.of(args)).isEqualTo(j.err());
    assertThat(n.code()).as("exit code of %s", List.of(args)).isEqualTo(j.code());
  }

  String status(String id) throws Exception {
    return runc.JSON.readTree(jvm("state", id).ok().out()).get("status").asText();
  }

  void awaitStatus(String id, String want) throws Exception {
    for (int i = 0; i < 500 && !status(id).equals(want); i++) Thread.sleep(20);
    assertThat(status(id)).isEqualTo(want);
  }

  @Test
  void lifecycleThroughTheLauncherMatchesTheJvm() throws Exception {
    Path b = runc.bundle("b", c -> c.putObject("annotations").put("dev.berth.test", "a \"quoted\" value"),
        "sh", "-c", "sleep 100 & exec sleep 100");
    runc.run("create", "--bundle", b.toString(), "v1").ok(); // the JVM's (cold)
    runc.run("create", "--bundle", b.toString(), "v2").ok(); // the template's (warm)
    for (String id : List.of("v1", "v2")) {
      assertThat(Files.exists(runc.root.resolve(id).resolve("verbs"))).isTrue();
      same("state", id);
      JsonNode st = runc.JSON.readTree(nativ("state", id).ok().out());
      assertThat(st.get("status").asText()).isEqualTo("created");
      assertThat(st.get("id").asText()).isEqualTo(id);
      assertThat(st.get("annotations").get("dev.berth.test").asText()).isEqualTo("a \"quoted\" value");
      same("ps", "--format", "json", id);

      nativ("start", id).ok();
      assertThat(Files.exists(runc.root.resolve(id).resolve("exec.fifo"))).isFalse();
      assertThat(status(id)).isEqualTo("running");
      same("state", id);
      for (int i = 0; i < 200 && runc.JSON.readTree(jvm("ps", "--format", "json", id).ok().out()).size() < 2; i++) {
        Thread.sleep(20);
      }
      same("ps", "--format", "json", id);
      assertThat(runc.JSON.readTree(nativ("ps", "--format", "json", id).ok().out()).size()).isEqualTo(2);

      nativ("pause", id).ok();
      assertThat(status(id)).isEqualTo("paused");
      same("state", id);
      same("pause", id);
      nativ("resume", id).ok();
      assertThat(status(id)).isEqualTo("running");
      same("resume", id);
      same("start", id);
      same("delete", id);

      nativ("kill", id, "KILL").ok(); // the init is pid 1 of its namespace: TERM without a handler is ignored
      awaitStatus(id, "stopped");
      same("state", id);
      same("kill", id, "KILL");
      same("ps", "--format", "json", id);
      Runc.Result d = nativ("delete", id);
      assertThat(d.code()).as(d.err()).isZero();
      runc.assertGone(id);
    }
  }

  @Test
  void forcedDeleteAndKillAllOfRunningContainers() throws Exception {
    Path b = runc.bundle("b", c -> {}, "sh", "-c", "sleep 100 & exec sleep 100");
    runc.run("run", "-d", "--bundle", b.toString(), "k1").ok();
    runc.run("create", "--bundle", b.toString(), "k2").ok();
    nativ("start", "k2").ok();
    nativ("kill", "--all", "k2", "9").ok();
    awaitStatus("k2", "stopped");
    assertThat(nativ("ps", "--format", "json", "k2").code()).isEqualTo(1);
    nativ("delete", "k2").ok();
    runc.assertGone("k2");

    nativ("pause", "k1").ok();
    nativ("delete", "--force", "k1").ok(); // paused: thawed so that it dies
    runc.assertGone("k1");
    nativ("delete", "--force", "k1").ok(); // gone already: as runc, no error
  }

  @Test
  void errorsAreTheJvmsForUnknownIdsAndWrongStates() throws Exception {
    for (String verb : List.of("state", "kill", "delete", "start", "pause", "resume")) same(verb, "nosuch");
    same("ps", "--format", "json", "nosuch");
    same("delete", "--force", "nosuch");
    assertThat(nativ("state", "nosuch").code()).isEqualTo(1);
    Path log = runc.tmp.resolve("log.json");
    Runc.Result r = nativ("--log", log.toString(), "--log-format", "json", "state", "nosuch");
    assertThat(r.err()).isEqualTo("berth-runc: container \"nosuch\" does not exist\n");
    JsonNode line = runc.JSON.readTree(Files.readString(log));
    assertThat(line.get("level").asText()).isEqualTo("error");
    assertThat(line.get("msg").asText()).isEqualTo("container \"nosuch\" does not exist");

    Path b = runc.bundle("b", c -> {}, "sleep", "100");
    runc.run("create", "--bundle", b.toString(), "e1").ok();
    same("resume", "e1");
    Runc.Result badSignal = runc.run("kill", "e1", "NOSUCHSIGNAL"); // the launcher hands it to the JVM
    assertThat(badSignal.code()).isEqualTo(1);
    assertThat(badSignal.err()).isEqualTo(jvm("kill", "e1", "NOSUCHSIGNAL").err()).contains("NOSUCHSIGNAL");
    nativ("start", "e1").ok();
    Runc.Result del = nativ("delete", "e1");
    assertThat(del.code()).isEqualTo(1);
    assertThat(del.err()).isEqualTo("berth-runc: cannot delete container \"e1\": it is running (stop it first, or use --force)\n");
    same("delete", "e1");
    same("start", "e1");
    nativ("delete", "-f", "e1").ok();
    runc.assertGone("e1");
  }

  /**
   * exec --process as containerd's shim calls it: the first exec of a process.json takes the JVM,
   * which leaves a template in the container's directory; the next one of the same process.json
   * (a Kubernetes exec probe) needs no JVM; another process.json takes the JVM again.
   */
  @Test
  void repeatedExecOfTheSameProcessNeedsNoJvm() throws Exception {
    Path b = runc.bundle("b", c -> {}, "sleep", "100");
    runc.run("run", "-d", "--bundle", b.toString(), "x1").ok();
    var proc = runc.JSON.readTree(Files.readString(b.resolve("config.json"))).get("process");
    ((com.fasterxml.jackson.databind.node.ObjectNode) proc).putArray("args").add("sh").add("-c").add("echo out-$0; exit 3");
    Path pj = runc.tmp.resolve("process.json");
    Files.writeString(pj, runc.JSON.writeValueAsString(proc));

    Runc.Result first = runc.exec(TRACE, 60, "exec", "--process", pj.toString(), "x1");
    assertThat(first.code()).as(first.err()).isEqualTo(3);
    assertThat(first.out()).isEqualTo("out-sh\n");
    assertThat(first.err()).contains("berth-trace");
    try (var files = Files.list(runc.root.resolve("x1").resolve("exec-cache"))) {
      assertThat(files.toList()).hasSize(1);
    }
    Runc.Result warm = nativ("exec", "--process", pj.toString(), "x1");
    assertThat(warm.code()).as(warm.err()).isEqualTo(3);
    assertThat(warm.out()).isEqualTo("out-sh\n");

    // detached with a pid file, as the shim: one JVM exec, then none
    for (int i = 0; i < 2; i++) {
      Path pidFile = runc.tmp.resolve("exec" + i + ".pid");
      Runc.Result d = runc.exec(TRACE, 60, "--log", runc.tmp.resolve("log.json").toString(), "--log-format", "json",
          "exec", "--process", pj.toString(), "--detach", "--pid-file", pidFile.toString(), "x1");
      assertThat(d.code()).as(d.err()).isZero();
      assertThat(d.err().contains("berth-trace")).as("JVM on exec %d", i).isEqualTo(i == 0);
      assertThat(Long.parseLong(Files.readString(pidFile).trim())).isPositive();
    }

    ((com.fasterxml.jackson.databind.node.ObjectNode) proc).putArray("args").add("true");
    Files.writeString(pj, runc.JSON.writeValueAsString(proc));
    Runc.Result other = runc.exec(TRACE, 60, "exec", "--process", pj.toString(), "x1");
    assertThat(other.code()).as(other.err()).isZero();
    assertThat(other.err()).as("a changed process.json is the JVM's").contains("berth-trace");

    nativ("pause", "x1").ok();
    Runc.Result paused = runc.exec(JVM, 60, "exec", "--process", pj.toString(), "x1");
    assertThat(paused.code()).isEqualTo(1);
    assertThat(runc.run("exec", "--process", pj.toString(), "x1").err()).as("paused: the JVM's error").isEqualTo(paused.err());
    nativ("delete", "--force", "x1").ok();
    runc.assertGone("x1");
  }
}
