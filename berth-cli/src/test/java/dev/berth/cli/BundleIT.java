package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * bin/berth bundle create / diff / commit / bundle rm with the real bin/berth-runc: an image
 * imported from a busybox-static rootfs, a bundle whose rootfs is a real overlay mount, a container
 * that changes it, the change committed and seen by a container of the new image.
 */
class BundleIT extends RuncTest {
  static final Path BERTH = Runc.REPO.resolve("bin/berth");
  Path store;

  @BeforeEach
  void importBusybox() throws Exception {
    store = runc.tmp.resolve("images");
    Path rootfs = runc.tmp.resolve("busybox-rootfs");
    Process p = new ProcessBuilder("sh", Runc.REPO.resolve("scripts/mk-rootfs.sh").toString(), rootfs.toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as("mk-rootfs: %s", out).isZero();
    berth("import", "--root", store.toString(), rootfs.toString(), "busybox:it").ok();
    berth("import", "--root", store.toString(), "-c", "ENTRYPOINT [\"sh\", \"-c\"]", "-c", "CMD [\"id; pwd; echo $FOO\"]",
        "-c", "ENV FOO=from-image", "-c", "WORKDIR /srv/app", "-c", "USER nobody", rootfs.toString(), "configured:it").ok();
  }

  @AfterEach
  void removeBundles() throws Exception {
    // tests remove their bundles; after a failure this removes what is left (before Runc deletes tmp)
    for (String name : berthIn("bundle ls", "-q").out().lines().toList()) {
      runc.exec(30, "delete", "--force", name);
      berthIn("bundle rm", name);
    }
    assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(store.toString());
  }

  Runc.Result berth(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(BERTH.toString()));
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile(runc.tmp, "berth-out", ".txt"), err = Files.createTempFile(runc.tmp, "berth-err", ".txt");
    Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("timed out: " + cmd);
    }
    return new Runc.Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  Runc.Result berthIn(String command, String... args) throws Exception {
    List<String> a = new ArrayList<>(List.of(command.split(" ")));
    a.add("--root");
    a.add(store.toString());
    a.addAll(List.of(args));
    return berth(a.toArray(String[]::new));
  }

  @Test
  void bundleRunDiffCommitRunAgainRemove() throws Exception {
    Path b1 = runc.tmp.resolve("b1");
    Runc.Result created = berthIn("bundle create", "--name", "c1", "busybox:it", b1.toString(),
        "sh", "-c", "echo committed > /tmp/new; rm /etc/hostname; mkdir -p /var/lib/app");
    assertThat(created.ok().out()).isEqualTo("c1\n");
    JsonNode cfg = Runc.JSON.readTree(b1.resolve("config.json").toFile());
    String rootfs = cfg.get("root").get("path").asText();
    assertThat(rootfs).isEqualTo(store.resolve("containers/c1/rootfs").toString());
    assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).contains(" " + rootfs + " ").contains("overlay");
    assertThat(cfg.get("root").get("readonly").asBoolean()).isFalse();
    assertThat(cfg.get("process").get("capabilities").get("bounding").toString()).contains("CAP_CHOWN", "CAP_SETUID", "CAP_NET_RAW")
        .doesNotContain("CAP_SYS_ADMIN");
    assertThat(cfg.get("linux").get("namespaces").toString()).contains("pid", "mount", "network", "ipc", "uts");
    assertThat(berthIn("bundle ls").ok().out()).containsPattern("c1 +busybox:it +yes +0 +" + b1);

    runc.run("run", "--bundle", b1.toString(), "c1").ok();
    assertThat(berthIn("diff", "c1").ok().out().lines().toList())
        .containsExactly("C /etc", "D /etc/hostname", "C /tmp", "A /tmp/new", "C /var", "A /var/lib", "A /var/lib/app");

    Runc.Result commit = berthIn("commit", "c1", "busybox:committed");
    assertThat(commit.ok().out()).startsWith("sha256:");
    Runc.Result hist = berthIn("history", "busybox:committed").ok();
    assertThat(hist.out().lines().skip(1).findFirst().orElseThrow()).contains("berth commit c1").contains("committed from container c1 of busybox:it");

    Path b2 = runc.tmp.resolve("b2");
    berthIn("bundle create", "busybox:committed", b2.toString(), "sh", "-c",
        "cat /tmp/new; test -e /etc/hostname && echo hostname-back; test -d /var/lib/app && echo dir-there").ok();
    assertThat(runc.output(b2, "b2")).isEqualTo("committed\ndir-there\n");
    assertThat(berthIn("diff", "b2").ok().out()).isEmpty();

    assertThat(berthIn("bundle rm", "c1", "b2").ok().out()).isEqualTo("c1\nb2\n");
    assertThat(b1).doesNotExist();
    assertThat(b2).doesNotExist();
    try (var ls = Files.list(store.resolve("containers"))) { assertThat(ls).isEmpty(); }
    assertThat(berthIn("bundle ls", "-q").ok().out()).isEmpty();
    // the committed image lives on; a fresh store verify is clean
    assertThat(berthIn("verify").ok().out()).contains("store verified");
  }

  @Test
  void aBundleAContainerRunsInIsRefusedUnlessForced() throws Exception {
    Path b = runc.tmp.resolve("busy");
    berthIn("bundle create", "--name", "busy", "busybox:it", b.toString(), "sleep", "1000").ok();
    berthIn("bundle create", "--name", "idle", "busybox:it", runc.tmp.resolve("idle").toString(), "true").ok();
    String rootfs = store.resolve("containers/busy/rootfs").toString();
    try {
      runc.run("run", "-d", "--bundle", b.toString(), "busy").ok();
      JsonNode st = runc.state("busy");
      assertThat(st.get("status").asText()).isEqualTo("running");
      long pid = st.get("pid").asLong();

      // as docker rm of a running container: refused (exit 1), the other name still removed, nothing of busy touched
      Runc.Result refused = berthIn("bundle rm", "idle", "busy");
      assertThat(refused.code()).isEqualTo(1);
      assertThat(refused.out()).isEqualTo("idle\n");
      assertThat(refused.err()).isEqualTo("berth: cannot remove bundle busy: in use by pid " + pid
          + " (sleep); stop its container (berth-runc kill/delete) or use bundle rm --force\n");
      assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).contains(" " + rootfs + " ");
      assertThat(b.resolve("config.json")).exists();
      assertThat(store.resolve("containers/busy/upper")).isDirectory();
      assertThat(runc.state("busy").get("status").asText()).isEqualTo("running");
      assertThat(runc.run("exec", "busy", "cat", "/proc/1/comm").ok().out()).isEqualTo("sleep\n");
      assertThat(berthIn("bundle ls", "-q").ok().out()).isEqualTo("busy\n");
      assertThat(berthIn("bundle ls").ok().out()).containsPattern("\nbusy +busybox:it +yes +1 +" + b);

      // -f: SIGKILL, then removed as usual; only the name on stdout, what was killed on stderr
      Runc.Result forced = berthIn("bundle rm", "-f", "busy");
      assertThat(forced.ok().out()).isEqualTo("busy\n");
      assertThat(forced.err()).isEqualTo("berth: bundle busy: killing pid " + pid + " (sleep)\n");
      assertThat(Path.of("/proc/" + pid + "/root")).doesNotExist();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);   // the monitor reaps it and records the exit
      while (!runc.state("busy").get("status").asText().equals("stopped") && System.nanoTime() < deadline) Thread.sleep(20);
      assertThat(runc.state("busy").get("status").asText()).isEqualTo("stopped");
      assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(store.toString());
      assertThat(b).doesNotExist();
      assertThat(berthIn("bundle ls", "-q").ok().out()).isEmpty();
    } finally {
      runc.exec(30, "delete", "--force", "busy");
    }
  }

  @Test
  void theImageConfigBecomesTheProcess() throws Exception {
    Path b = runc.tmp.resolve("cfg");
    berthIn("bundle create", "configured:it", b.toString()).ok();
    JsonNode proc = Runc.JSON.readTree(b.resolve("config.json").toFile()).get("process");
    assertThat(proc.get("args").toString()).isEqualTo("[\"sh\",\"-c\",\"id; pwd; echo $FOO\"]");
    assertThat(proc.get("cwd").asText()).isEqualTo("/srv/app");
    assertThat(proc.get("user").get("uid").asLong()).isEqualTo(65534);
    assertThat(runc.output(b, "cfg")).isEqualTo("uid=65534(nobody) gid=65534(nogroup)\n/srv/app\nfrom-image\n");

    // overrides, as docker create takes them: a command replaces Cmd, --entrypoint "" drops Entrypoint
    Path o = runc.tmp.resolve("over");
    berthIn("bundle create", "-u", "root:tty", "-e", "FOO=override", "-w", "/", "--entrypoint", "", "configured:it", o.toString(),
        "sh", "-c", "id; pwd; echo $FOO").ok();
    assertThat(runc.output(o, "over")).isEqualTo("uid=0(root) gid=5(tty)\n/\noverride\n");
    berthIn("bundle rm", "cfg", "over").ok();
    assertThat(b).doesNotExist();
  }

  @Test
  void badInputIsRefusedAndLeavesNothing() throws Exception {
    Path dir = runc.tmp.resolve("bad");
    Runc.Result unknown = berthIn("bundle create", "nosuch:image", dir.toString(), "true");
    assertThat(unknown.code()).isEqualTo(3);
    assertThat(unknown.err()).isEqualTo("berth: no such image: nosuch:image\n");
    assertThat(dir).doesNotExist();
    assertThat(store.resolve("containers/bad")).doesNotExist();

    Path first = runc.tmp.resolve("first");
    berthIn("bundle create", "--name", "taken", "busybox:it", first.toString(), "true").ok();
    Runc.Result dup = berthIn("bundle create", "--name", "taken", "busybox:it", dir.toString(), "true");
    assertThat(dup.code()).isEqualTo(2);
    assertThat(dup.err()).isEqualTo("berth: name taken is already in use (a container of busybox:it)\n");
    assertThat(dir).doesNotExist();
    assertThat(first.resolve("config.json")).exists();

    Runc.Result again = berthIn("bundle create", "--name", "other", "busybox:it", first.toString(), "true");
    assertThat(again.code()).isEqualTo(2);
    assertThat(again.err()).contains("already has a config.json");
    assertThat(store.resolve("containers/other")).doesNotExist();

    Runc.Result noCmd = berthIn("bundle create", "--entrypoint", "", "busybox:it", dir.toString());
    assertThat(noCmd.code()).isEqualTo(2);
    assertThat(noCmd.err()).contains("no command");
    assertThat(dir).doesNotExist();
    assertThat(store.resolve("containers/bad")).doesNotExist();

    Runc.Result noUser = berthIn("bundle create", "-u", "nosuchuser", "busybox:it", dir.toString(), "true");
    assertThat(noUser.code()).isEqualTo(2);
    assertThat(noUser.err()).isEqualTo("berth: unable to find user nosuchuser: no matching entries in passwd file\n");
    assertThat(dir).doesNotExist();
    assertThat(store.resolve("containers/bad")).doesNotExist();

    Runc.Result badName = berthIn("bundle create", "--name", "../x", "busybox:it", dir.toString(), "true");
    assertThat(badName.code()).isEqualTo(2);
    assertThat(dir).doesNotExist();

    for (String[] cmd : new String[][]{{"commit", "nosuch", "x:1"}, {"diff", "nosuch"}, {"bundle rm", "nosuch"}}) {
      Runc.Result r = berthIn(cmd[0], java.util.Arrays.copyOfRange(cmd, 1, cmd.length));
      assertThat(r.code()).as(String.join(" ", cmd)).isEqualTo(3);
      assertThat(r.err()).isEqualTo("berth: no such container: nosuch\n");
    }
    Runc.Result badRef = berthIn("commit", "taken", "Bad Name!");
    assertThat(badRef.code()).isEqualTo(2);
    assertThat(berthIn("images", "-q").ok().out().lines()).hasSize(2);

    berthIn("bundle rm", "taken").ok();
    assertThat(first).doesNotExist();
  }
}
