package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Bad input: one line naming the cause, non-zero exit, nothing left behind. */
class BadInputIT extends RuncTest {

  void rejected(String id, Consumer<ObjectNode> edit, String expected) throws Exception {
    Path b = runc.bundle(id, edit, "true");
    Runc.Result r = runc.run("create", "--bundle", b.toString(), id);
    assertThat(r.code()).isNotZero();
    assertThat(r.err().lines().count()).as("one line: %s", r.err()).isEqualTo(1);
    assertThat(r.err()).startsWith("berth-runc: ").contains(expected);
    runc.assertGone(id);
  }

  @Test
  void malformedJson() throws Exception {
    Path b = runc.bundle("bad", c -> {}, "true");
    Files.writeString(b.resolve("config.json"), "{\"ociVersion\": \"1.2.0\", \"process\": ");
    Runc.Result r = runc.run("create", "--bundle", b.toString(), "bad");
    assertThat(r.code()).isNotZero();
    assertThat(r.err()).startsWith("berth-runc: config.json: malformed JSON at line 1");
    runc.assertGone("bad");
  }

  @Test
  void inconsistentConfigs() throws Exception {
    rejected("ns", c -> ((ArrayNode) c.get("linux").get("namespaces")).addObject().put("type", "bogus"),
        "linux.namespaces[6].type: unknown namespace type \"bogus\"");
    rejected("map", c -> ((ObjectNode) c.get("linux")).putArray("uidMappings").addObject()
        .put("containerID", 0).put("hostID", 1000).put("size", 1), "id mappings given without a user namespace");
    rejected("escape", c -> ((ArrayNode) c.get("mounts")).addObject().put("destination", "/../../../etc/x")
        .put("type", "tmpfs").put("source", "tmpfs"), "escapes the container root");
    rejected("rootfs", c -> ((ObjectNode) c.get("root")).put("path", "nowhere"), "root.path: no such directory");
    rejected("args", c -> ((ObjectNode) c.get("process")).putArray("args"), "process.args: must name the program");
    rejected("cap", c -> ((ArrayNode) c.get("process").get("capabilities").get("bounding")).add("CAP_NOPE"),
        "unknown capability");
    rejected("type", c -> ((ObjectNode) c.get("process")).put("terminal", "yes"), "process.terminal: expected true or false");
  }

  /** Issue 9: uid 2^32 ran as root, 2^32+1 as uid 1, 2^32-1 as root (runc refuses all three). */
  @Test
  void outOfRangeIdsAreRefusedAndLeaveNothing() throws Exception {
    for (long uid : new long[] {4294967296L, 4294967297L, 4294967295L}) {
      String id = "uid" + uid;
      Path b = runc.bundle(id, c -> ((ObjectNode) c.get("process")).putObject("user").put("uid", uid).put("gid", 0), "id", "-u");
      Runc.Result r = runc.run("run", "--bundle", b.toString(), id);
      assertThat(r.code()).as("run as uid %d", uid).isNotZero();
      assertThat(r.out()).isEmpty();
      assertThat(r.err()).isEqualTo("berth-runc: config.json: process.user.uid: id out of range: " + uid + " (0..4294967294)\n");
      runc.assertGone(id);
    }
    rejected("gids", c -> ((ObjectNode) c.get("process")).putObject("user").put("uid", 0).put("gid", 0)
        .putArray("additionalGids").add(4294967296L), "process.user.additionalGids[0]: id out of range: 4294967296");
    rejected("hostid", c -> {
      ((ArrayNode) c.get("linux").get("namespaces")).addObject().put("type", "user");
      ObjectNode linux = (ObjectNode) c.get("linux");
      linux.putArray("uidMappings").addObject().put("containerID", 0).put("hostID", 4294967296L).put("size", 65536);
      linux.putArray("gidMappings").addObject().put("containerID", 0).put("hostID", 100000).put("size", 65536);
    }, "linux.uidMappings[0].hostID: id out of range: 4294967296");
    Path b = runc.bundle("execuid", c -> {}, "sleep", "100");
    runc.run("run", "-d", "--bundle", b.toString(), "execuid").ok();
    Runc.Result e = runc.run("exec", "--user", "4294967296", "execuid", "id", "-u");
    assertThat(e.code()).isNotZero();
    assertThat(e.out()).isEmpty();
    assertThat(e.err()).isEqualTo("berth-runc: --user: id out of range: 4294967296 (0..4294967294)\n");
    runc.run("delete", "--force", "execuid").ok();
    runc.assertGone("execuid");
  }

  @Test
  void kernelRefusalIsReportedAndUndone() throws Exception {
    // Passes validation; the launcher's mount fails in the new namespaces, after cgroup and state exist.
    rejected("fs", c -> ((ArrayNode) c.get("mounts")).addObject().put("destination", "/x").put("type", "nosuchfs")
        .put("source", "none"), "/x");
    rejected("limit", c -> ((ObjectNode) c.get("linux").get("resources")).putObject("cpu").put("cpus", "99-100"),
        "99-100");
  }

  /** The launcher killed half-way through create (here by its own hook): delete still removes it all. */
  @Test
  void aCreateThatDiedHalfWayIsRemovedByDelete() throws Exception {
    Path b = runc.bundle("b", c -> c.putObject("hooks").putArray("createRuntime").addObject()
        .put("path", "/bin/sh").putArray("args").add("sh").add("-c").add("kill -9 $PPID"), "true");
    Runc.Result r = runc.run("create", "--bundle", b.toString(), "crashed");
    assertThat(r.code()).isNotZero();
    assertThat(runc.root.resolve("crashed")).as("the launcher had no chance to undo").exists();
    assertThat(runc.cgroupDirs("crashed")).isNotEmpty();
    runc.run("delete", "--force", "crashed").ok();
    runc.assertGone("crashed");
  }

  @Test
  void lifecycleMisuse() throws Exception {
    Path b = runc.bundle("b", c -> {}, "sleep", "100");
    runc.run("create", "--bundle", b.toString(), "dup").ok();
    Runc.Result dup = runc.run("create", "--bundle", b.toString(), "dup");
    assertThat(dup.code()).isNotZero();
    assertThat(dup.err()).contains("container \"dup\" already exists");
    Runc.Result sig = runc.run("kill", "dup", "SIGNOPE");
    assertThat(sig.code()).isNotZero();
    assertThat(sig.err()).contains("unknown signal \"SIGNOPE\"");
    Runc.Result del = runc.run("delete", "dup");
    assertThat(del.code()).isNotZero();
    assertThat(del.err()).contains("created").contains("--force");
    assertThat(runc.state("dup").get("status").asText()).isEqualTo("created");
    runc.run("delete", "--force", "dup").ok();
    runc.assertGone("dup");
    for (String cmd : new String[] {"state", "start", "kill", "delete", "pause"}) {
      Runc.Result r = runc.run(cmd, "ghost");
      assertThat(r.code()).as(cmd).isNotZero();
      assertThat(r.err()).as(cmd).isEqualTo("berth-runc: container \"ghost\" does not exist\n");
    }
    Runc.Result badId = runc.run("state", "../etc");
    assertThat(badId.err()).contains("invalid container id");
  }
}
