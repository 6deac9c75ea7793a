package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

/**
 * The warm path: a second run/create of the same config goes from bin/berth-runc straight to the
 * launcher, replaying the template the JVM left. BERTH_TRACE=1 makes the JVM print marks, so
 * their absence shows that no JVM ran.
 */
class WarmPathIT extends RuncTest {
  static final Map<String, String> TRACE = Map.of("BERTH_TRACE", "1");

  Runc.Result traced(String... args) throws Exception {
    return runc.exec(TRACE, 30, args);
  }

  Path template() throws Exception {
    try (var files = Files.list(runc.root.resolve(".plan-cache"))) {
      List<Path> plans = files.filter(f -> f.toString().endsWith(".plan")).toList();
      assertThat(plans).hasSize(1);
      return plans.getFirst();
    }
  }

  @Test
  void secondRunOfTheSameConfigNeedsNoJvm() throws Exception {
    Path b = runc.bundle("b", c -> {}, "sh", "-c", "echo hi from $(hostname); exit 4");
    Runc.Result cold = traced("run", "--bundle", b.toString(), "w1");
    assertThat(cold.code()).isEqualTo(4);
    assertThat(cold.out()).isEqualTo("hi from berth\n");
    assertThat(cold.err()).contains("berth-trace");
    Path t = template();
    assertThat(Files.getPosixFilePermissions(t.getParent())).isEqualTo(PosixFilePermissions.fromString("rwx------"));
    assertThat(Files.getPosixFilePermissions(t)).doesNotContain(java.nio.file.attribute.PosixFilePermission.GROUP_WRITE,
        java.nio.file.attribute.PosixFilePermission.OTHERS_WRITE);

    Runc.Result warm = traced("run", "--bundle", b.toString(), "w2");
    assertThat(warm.code()).as(warm.err()).isEqualTo(4);
    assertThat(warm.out()).isEqualTo("hi from berth\n");
    assertThat(warm.err()).doesNotContain("berth-trace");
    runc.assertGone("w2");
    assertThat(runc.parentDirs()).as("the default parent goes with the last container").isEmpty();
  }

  /** Issue 9: the cache was bounded by entries only (a 100 MB config left a 210 MB template). */
  @Test
  void aHugeConfigLeavesNoTemplate() throws Exception {
    Path big = runc.bundle("big", c -> c.putObject("annotations").put("dev.berth.test.big", "x".repeat(2 << 20)), "true");
    runc.run("run", "--bundle", big.toString(), "big1").ok();
    runc.run("run", "--bundle", big.toString(), "big2").ok();
    Path cache = runc.root.resolve(".plan-cache");
    if (Files.isDirectory(cache)) {
      try (var files = Files.list(cache)) {
        assertThat(files.map(f -> f.getFileName().toString()).toList()).as("templates of a 2 MiB config").isEmpty();
      }
    }
    Path small = runc.bundle("small", c -> {}, "true");
    runc.run("run", "--bundle", small.toString(), "small1").ok();
    assertThat(Files.size(template())).isLessThan(64 << 10);
    runc.assertGone("big2");
  }

  @Test
  void warmCreateIsAFullContainer() throws Exception {
    Path b = runc.bundle("b", c -> {}, "sleep", "100");
    runc.run("create", "--bundle", b.toString(), "c1").ok();
    Runc.Result warm = traced("create", "--bundle", b.toString(), "c2");
    assertThat(warm.code()).isZero();
    assertThat(warm.err()).doesNotContain("berth-trace");
    var st = runc.state("c2");
    assertThat(st.get("status").asText()).isEqualTo("created");
    assertThat(st.get("id").asText()).isEqualTo("c2");
    assertThat(java.time.Instant.parse(st.get("created").asText())).isAfter(java.time.Instant.now().minusSeconds(60));
    assertThat(Files.readString(runc.cgroup("devices", "c2").resolve("devices.list"))).contains("c 1:3 rwm")
        .doesNotContain("a *:* rwm");
    Runc.Result dup = traced("create", "--bundle", b.toString(), "c2");
    assertThat(dup.code()).isNotZero();
    assertThat(dup.err()).isEqualTo("berth-runc: container \"c2\" already exists\n");
    runc.run("start", "c2").ok();
    int pid = runc.state("c2").get("pid").asInt();
    assertThat(Files.readString(Path.of("/proc/" + pid + "/cgroup"))).contains("pids:/" + runc.cgroupParent + "/c2", "memory:/" + runc.cgroupParent + "/c2");
    runc.run("delete", "--force", "c2").ok();
    runc.run("delete", "--force", "c1").ok();
    runc.assertGone("c2");
  }

  @Test
  void aChangedConfigIsAMiss() throws Exception {
    Path b = runc.bundle("b", c -> {}, "echo", "one");
    runc.output(b, "m1");
    Files.writeString(b.resolve("config.json"), Files.readString(b.resolve("config.json")).replace("\"one\"", "\"two\""));
    Runc.Result r = traced("run", "--bundle", b.toString(), "m2");
    assertThat(r.out()).isEqualTo("two\n");
    assertThat(r.err()).contains("berth-trace");
  }

  @Test
  void anUntrustedOrStaleTemplateFallsBackToTheJvm() throws Exception {
    Path b = runc.bundle("b", c -> {}, "echo", "ok");
    runc.output(b, "s1");
    Path t = template();
    // Writable by others: never trusted.
    Files.setPosixFilePermissions(t, PosixFilePermissions.fromString("rw-rw-rw-"));
    Runc.Result untrusted = traced("run", "--bundle", b.toString(), "s2");
    assertThat(untrusted.out()).isEqualTo("ok\n");
    assertThat(untrusted.err()).contains("berth-trace");
    // A recorded write the kernel now refuses: undone, forgotten, and the JVM path takes over.
    Path fresh = template();
    byte[] bytes = Files.readAllBytes(fresh);
    String text = new String(bytes, StandardCharsets.ISO_8859_1).replace("c 1:3 rwm", "x 1:3 rwm");
    Files.write(fresh, text.getBytes(StandardCharsets.ISO_8859_1));
    Runc.Result stale = traced("run", "--bundle", b.toString(), "s3");
    assertThat(stale.code()).isZero();
    assertThat(stale.out()).isEqualTo("ok\n");
    assertThat(stale.err()).contains("berth-trace");
    runc.assertGone("s3");
    assertThat(Files.readString(template(), StandardCharsets.ISO_8859_1)).contains("c 1:3 rwm");
  }

  /**
   * The key only finds a template: one that is not for this command (here: another config's, put
   * under this config's key) is never run; the JVM takes over.
   */
  @Test
  void aTemplateIsUsedOnlyForTheCommandItWasMadeFor() throws Exception {
    Path a = runc.bundle("a", c -> {}, "cat", "/marker");
    Path b = runc.bundle("b", c -> {}, "cat", "/marker", "/marker");
    Files.writeString(a.resolve("rootfs/marker"), "bundle a\n");
    Files.writeString(b.resolve("rootfs/marker"), "bundle b\n");
    runc.output(a, "ka");
    Path ta = template();
    Files.move(ta, ta.resolveSibling("a.keep"));
    runc.output(b, "kb");
    Path tb = template();
    Files.copy(ta.resolveSibling("a.keep"), tb, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Runc.Result r = traced("run", "--bundle", b.toString(), "kb2");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("bundle b\nbundle b\n");
    assertThat(r.err()).as("the JVM path ran").contains("berth-trace");
    // and the JVM left the right template: the next run is warm and still b's
    Runc.Result warm = traced("run", "--bundle", b.toString(), "kb3");
    assertThat(warm.out()).isEqualTo("bundle b\nbundle b\n");
    assertThat(warm.err()).doesNotContain("berth-trace");
  }

  /**
   * Issue 15: as containerd's shim calls it (--log, --log-format json, --pid-file), each container
   * with its own bundle directory and its id in the config (cgroupsPath, hostname, an annotation,
   * a mount source under the bundle): the second container, another id in another bundle, takes
   * the warm path (no JVM: no trace marks) and is its own container in every respect.
   */
  @Test
  void anotherIdInAnotherBundleIsWarm() throws Exception {
    String[] ids = {"k8s0a1b2c3d4e5f6a7b8", "k8s9f8e7d6c5b4a3f2e1"};
    Path[] bundles = new Path[2];
    String parent = "/" + runc.cgroupParent + "-pod";
    for (int i = 0; i < 2; i++) {
      String id = ids[i];
      Path dir = runc.tmp.resolve("task").resolve(id);
      Files.createDirectories(dir.getParent());
      Path made = runc.bundle("task/" + id, c -> {}, "sleep", "100");
      Files.writeString(made.resolve("hostname"), "file of " + id + "\n");
      ObjectNode cfg = (ObjectNode) Runc.JSON.readTree(made.resolve("config.json").toFile());
      cfg.put("hostname", id);
      ((ObjectNode) cfg.get("linux")).put("cgroupsPath", parent + "/" + id);
      cfg.putObject("annotations").put("io.kubernetes.cri.container-id", id);
      ObjectNode m = ((com.fasterxml.jackson.databind.node.ArrayNode) cfg.get("mounts")).addObject();
      m.put("destination", "/etc/hostname-file").put("type", "bind").put("source", made + "/hostname");
      m.putArray("options").add("rbind").add("ro");
      Files.writeString(made.resolve("config.json"), Runc.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(cfg));
      bundles[i] = made;
    }
    String c0 = Files.readString(bundles[0].resolve("config.json")), c1 = Files.readString(bundles[1].resolve("config.json"));
    assertThat(c1).isEqualTo(c0.replace(bundles[0].toString(), bundles[1].toString()).replace(ids[0], ids[1]));
    try {
      for (int i = 0; i < 2; i++) {
        Path b = bundles[i];
        Runc.Result r = runc.exec(TRACE, 120, "--log", b + "/log.json", "--log-format", "json", "create", "--bundle",
            b.toString(), "--pid-file", b + "/init.pid", ids[i]);
        assertThat(r.code()).as(r.err()).isZero();
        if (i == 0) {
          assertThat(r.err()).as("the first takes the JVM").contains("berth-trace");
          template();
        } else {
          assertThat(r.err()).as("the second needs no JVM").doesNotContain("berth-trace");
        }
      }
      for (int i = 0; i < 2; i++) {
        String id = ids[i];
        var st = runc.state(id);
        assertThat(st.get("id").asText()).isEqualTo(id);
        assertThat(st.get("bundle").asText()).isEqualTo(bundles[i].toString());
        assertThat(st.get("annotations").get("io.kubernetes.cri.container-id").asText()).isEqualTo(id);
        assertThat(Files.readString(bundles[i].resolve("init.pid")).trim()).isEqualTo(st.get("pid").asText());
        assertThat(runc.root.resolve(id).resolve("config.json")).hasSameBinaryContentAs(bundles[i].resolve("config.json"));
        runc.run("start", id).ok();
        int pid = runc.state(id).get("pid").asInt();
        assertThat(Files.readString(Path.of("/proc/" + pid + "/cgroup"))).contains("pids:" + parent + "/" + id)
            .contains("memory:" + parent + "/" + id);
        Runc.Result host = runc.run("exec", id, "hostname");
        assertThat(host.ok().out()).isEqualTo(id + "\n");
        assertThat(runc.run("exec", id, "cat", "/etc/hostname-file").ok().out()).isEqualTo("file of " + id + "\n");
      }
    } finally {
      for (String id : ids) runc.run("delete", "--force", id);
      try (var hs = Files.newDirectoryStream(Path.of("/sys/fs/cgroup"))) {
        for (Path h : hs) Files.deleteIfExists(h.resolve(parent.substring(1))); // berth never prunes a parent it did not make
      }
    }
    for (String id : ids) runc.assertGone(id);
  }

  /** update of the common flags runs in the launcher; a refusal is undone and the JVM explains it. */
  @Test
  void updateWithoutAJvm() throws Exception {
    Path b = runc.bundle("b", c -> {}, "sleep", "100");
    runc.run("run", "-d", "--bundle", b.toString(), "u1").ok();
    Runc.Result r = traced("update", "--memory", "64m", "--memory-swap", "128m", "--cpu-quota", "50000",
        "--cpu-period", "100000", "--pids-limit", "40", "u1");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).doesNotContain("berth-trace");
    assertThat(Files.readString(runc.cgroup("memory", "u1").resolve("memory.limit_in_bytes")).trim()).isEqualTo("67108864");
    assertThat(Files.readString(runc.cgroup("memory", "u1").resolve("memory.memsw.limit_in_bytes")).trim())
        .isEqualTo("134217728");
    assertThat(Files.readString(runc.cgroup("cpu", "u1").resolve("cpu.cfs_quota_us")).trim()).isEqualTo("50000");
    assertThat(Files.readString(runc.cgroup("pids", "u1").resolve("pids.max")).trim()).isEqualTo("40");
    // Refused by the kernel half-way: what was written is restored, and the JVM path reports it.
    Runc.Result bad = traced("update", "--pids-limit", "5", "--cpuset-cpus", "7-9", "u1");
    assertThat(bad.code()).isNotZero();
    assertThat(bad.err()).contains("berth-trace").contains("cpuset.cpus \"7-9\"");
    assertThat(Files.readString(runc.cgroup("pids", "u1").resolve("pids.max")).trim()).isEqualTo("40");
    // Unknown to the launcher: straight to the JVM.
    assertThat(traced("update", "--blkio-weight", "500", "u1").err()).contains("berth-trace");
    // A container made by the warm path (its verbs record from the template) updates without a JVM too.
    Runc.Result warm = traced("run", "-d", "--bundle", b.toString(), "u2");
    assertThat(warm.code()).as(warm.err()).isZero();
    assertThat(warm.err()).doesNotContain("berth-trace");
    Runc.Result r2 = traced("update", "--cpu-quota", "30000", "--pids-limit", "30", "u2");
    assertThat(r2.code()).as(r2.err()).isZero();
    assertThat(r2.err()).doesNotContain("berth-trace");
    assertThat(Files.readString(runc.cgroup("cpu", "u2").resolve("cpu.cfs_quota_us")).trim()).isEqualTo("30000");
    assertThat(Files.readString(runc.cgroup("pids", "u2").resolve("pids.max")).trim()).isEqualTo("30");
    runc.run("delete", "--force", "u2").ok();
    runc.run("delete", "--force", "u1").ok();
    assertThat(runc.run("update", "--memory", "64m", "u1").err()).contains("does not exist");
  }
}
