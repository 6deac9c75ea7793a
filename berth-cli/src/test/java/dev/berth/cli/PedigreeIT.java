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
 * bin/berth pedigree, images --tree, history --provenance and drift, for real: a busybox image
 * loaded from scripts/mk-oci-image.sh's archive, another imported from a busybox-static rootfs,
 * images derived from them by bin/berth commit, containers run by bin/berth-runc on bundles.
 */
class PedigreeIT extends RuncTest {
  static final Path BERTH = Runc.REPO.resolve("bin/berth");
  Path store;

  @BeforeEach
  void buildImages() throws Exception {
    store = runc.tmp.resolve("images");
    Path oci = runc.tmp.resolve("oci");
    Process p = new ProcessBuilder("sh", Runc.REPO.resolve("scripts/mk-oci-image.sh").toString(), oci.toString(), "busybox:oci")
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as("mk-oci-image: %s", out).isZero();
    berthIn("load", "-i", oci.resolve("image.tar").toString()).ok();
    Path rootfs = runc.tmp.resolve("busybox-rootfs");
    p = new ProcessBuilder("sh", Runc.REPO.resolve("scripts/mk-rootfs.sh").toString(), rootfs.toString()).redirectErrorStream(true).start();
    out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as("mk-rootfs: %s", out).isZero();
    berthIn("import", rootfs.toString(), "imported:1").ok();
    derive("busybox:oci", "app:1", "etc/app", "one");
    derive("app:1", "app:2", "etc/app", "two");
    derive("busybox:oci", "other:1", "etc/other", "x");
  }

  @AfterEach
  void removeBundles() throws Exception {
    for (String name : berthIn("bundle ls", "-q").out().lines().toList()) {
      runc.exec(30, "delete", "--force", name);
      berthIn("bundle rm", "-f", name);
    }
    assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(store.toString());
  }

  /** An image one layer above {@code from}: a bundle, a file written into its rootfs, bin/berth commit, bundle rm. */
  void derive(String from, String to, String file, String content) throws Exception {
    String b = "mk-" + to.replace(':', '-');
    berthIn("bundle create", "--name", b, from, runc.tmp.resolve(b).toString(), "true").ok();
    Files.writeString(store.resolve("containers").resolve(b).resolve("rootfs").resolve(file), content);
    berthIn("commit", b, to).ok();
    berthIn("bundle rm", b).ok();
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
  void treePedigreeAndProvenance() throws Exception {
    String tree = berthIn("images", "--tree").ok().out();
    assertThat(tree.lines().toList()).hasSize(5);
    assertThat(tree).containsPattern("(?m)^busybox:oci +[0-9a-f]{12} +1 layer$")
        .containsPattern("(?m)^├── app:1 +[0-9a-f]{12} +\\+1 layer$")
        .containsPattern("(?m)^│   └── app:2 +[0-9a-f]{12} +\\+1 layer$")
        .containsPattern("(?m)^└── other:1 +[0-9a-f]{12} +\\+1 layer$")
        .containsPattern("(?m)^imported:1 +[0-9a-f]{12} +1 layer$");
    JsonNode forest = Runc.JSON.readTree(berthIn("images", "--tree", "--format", "json").ok().out());
    assertThat(forest.size()).isEqualTo(2);
    JsonNode root = forest.get(0).get("image").get("names").get(0).asText().equals("busybox:oci") ? forest.get(0) : forest.get(1);
    assertThat(root.get("children").size()).isEqualTo(2);
    assertThat(root.get("children").get(0).get("children").get(0).get("image").get("layers").asInt()).isEqualTo(3);

    assertThat(berthIn("pedigree", "app:1").ok().out().lines().toList()).satisfiesExactly(
        l -> assertThat(l).startsWith("RELATION"),
        l -> assertThat(l).matches("ancestor +busybox:oci +[0-9a-f]{12} +1 +\\+1"),
        l -> assertThat(l).matches("image +app:1 +[0-9a-f]{12} +2 *"),
        l -> assertThat(l).matches("descendant +app:2 +[0-9a-f]{12} +3 +\\+1"));
    JsonNode fam = Runc.JSON.readTree(berthIn("pedigree", "--format", "json", "app:2").ok().out());
    assertThat(fam.get("ancestors").findValuesAsText("addedLayers")).containsExactly("1", "2");
    assertThat(fam.get("ancestors").get(1).get("image").get("names").get(0).asText()).isEqualTo("busybox:oci");
    assertThat(fam.get("descendants").size()).isZero();

    String prov = berthIn("history", "--provenance", "app:2").ok().out();
    List<String> lines = prov.lines().toList();
    assertThat(lines).hasSize(4);
    assertThat(lines.get(1)).startsWith("2 ").contains("app:2", "berth commit mk-app-2", "committed from container mk-app-2 of app:1 at ");
    assertThat(lines.get(2)).startsWith("1 ").contains("app:1", "committed from container mk-app-1 of busybox:oci at ");
    assertThat(lines.get(3)).startsWith("0 ").contains("busybox:oci", "load of " + runc.tmp.resolve("oci/image.tar"));
    JsonNode pj = Runc.JSON.readTree(berthIn("history", "--provenance", "--format", "json", "app:2").ok().out());
    assertThat(pj.get(2).get("provenance").get("source").asText()).isEqualTo("load");
    assertThat(pj.get(0).get("introducedBy").get("names").get(0).asText()).isEqualTo("app:2");
  }

  @Test
  void affectedNamesImagesAndRunningContainersAndDriftShowsTheirChanges() throws Exception {
    Path b1 = runc.tmp.resolve("web");
    berthIn("bundle create", "--name", "web", "app:2", b1.toString(), "sh", "-c",
        "cp /bin/busybox /tmp/dropped; echo note > /tmp/notes; rm /etc/app; echo ready > /tmp/ready; exec sleep 1000").ok();
    berthIn("bundle create", "--name", "idle", "other:1", runc.tmp.resolve("idle").toString(), "true").ok();
    berthIn("bundle create", "--name", "unrelated", "imported:1", runc.tmp.resolve("unrelated").toString(), "true").ok();
    runc.run("run", "-d", "--bundle", b1.toString(), "web").ok();
    long pid = runc.state("web").get("pid").asLong();
    Path ready = store.resolve("containers/web/rootfs/tmp/ready");
    for (int i = 0; i < 300 && !Files.exists(ready); i++) Thread.sleep(100);
    assertThat(ready).exists();

    String aff = berthIn("pedigree", "--affected", "busybox:oci").ok().out();
    assertThat(aff).startsWith("images built on busybox:oci (")
        .containsPattern("(?m)^  app:1 +[0-9a-f]{12} +2 +\\+1$")
        .containsPattern("(?m)^  other:1 +[0-9a-f]{12} +2 +\\+1$")
        .containsPattern("(?m)^  app:2 +[0-9a-f]{12} +3 +\\+2$")
        .containsPattern("(?m)^  web +bundle +app:2 +yes +.*\\b" + pid + "\\b")
        .containsPattern("(?m)^  idle +bundle +other:1 +no *$")
        .doesNotContain("unrelated", "imported");
    JsonNode aj = Runc.JSON.readTree(berthIn("pedigree", "--affected", "--format", "json", "app:2").ok().out());
    assertThat(aj.get("images").size()).isZero();
    assertThat(aj.get("containers").size()).isEqualTo(1);
    assertThat(aj.get("containers").get(0).get("name").asText()).isEqualTo("web");
    assertThat(aj.get("containers").get(0).get("kind").asText()).isEqualTo("bundle");
    assertThat(aj.get("containers").get(0).get("running").asBoolean()).isTrue();
    assertThat(aj.get("containers").get(0).findValuesAsText("pids").toString()).isNotNull();
    assertThat(aj.get("containers").get(0).get("pids").toString()).contains(String.valueOf(pid));

    String drift = berthIn("drift", "web").ok().out();
    assertThat(drift.lines().findFirst().orElseThrow()).isEqualTo("web (image app:2, running): 3 added, 2 changed, 1 deleted, 1 executable");
    assertThat(drift).contains("D /etc/app\n")
        .containsPattern("(?m)^A /tmp/dropped  \\[file 0[0-7]{3} " + Files.size(Path.of("/bin/busybox")) + " B\\]  EXECUTABLE \\(ELF\\)$")
        .containsPattern("(?m)^A /tmp/notes  \\[file 0644 5 B\\]$");
    JsonNode dj = Runc.JSON.readTree(berthIn("drift", "--format", "json", "web").ok().out());
    assertThat(dj.get("running").asBoolean()).isTrue();
    assertThat(dj.get("executables").size()).isEqualTo(1);
    assertThat(dj.get("executables").get(0).get("path").asText()).isEqualTo("/tmp/dropped");
    assertThat(dj.get("executables").get(0).get("elf").asBoolean()).isTrue();
    // drift is diff with details: the same paths in the same order
    List<String> diff = berthIn("diff", "web").ok().out().lines().toList();
    List<String> fromDrift = new ArrayList<>();
    dj.get("changes").forEach(c -> fromDrift.add(c.get("kind").asText() + " " + c.get("path").asText()));
    assertThat(fromDrift).isEqualTo(diff);

    runc.run("delete", "--force", "web").ok();
    berthIn("bundle rm", "web").ok();
    Runc.Result gone = berthIn("drift", "web");
    assertThat(gone.code()).isEqualTo(3);
    assertThat(gone.err()).isEqualTo("berth: no such container: web\n");
  }

  @Test
  void badInputIsNamedAndChangesNothing() throws Exception {
    String before = berthIn("images").ok().out();
    Runc.Result r = berthIn("pedigree", "nope:1");
    assertThat(r.code()).isEqualTo(3);
    assertThat(r.err()).isEqualTo("berth: no such image: nope:1\n");
    assertThat(r.out()).isEmpty();
    r = berthIn("pedigree", "--affected", "nope:2");
    assertThat(r.code()).isEqualTo(3);
    assertThat(r.err()).contains("no such image: nope:2");
    r = berthIn("history", "--provenance", "nope:3");
    assertThat(r.code()).isEqualTo(3);
    assertThat(r.err()).contains("no such image: nope:3");
    r = berthIn("pedigree", "--format", "yaml", "app:1");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).isEqualTo("berth: unknown --format yaml (text or json)\n");
    r = berthIn("drift", "no-such-bundle");
    assertThat(r.code()).isEqualTo(3);
    assertThat(r.err()).isEqualTo("berth: no such container: no-such-bundle\n");
    r = berthIn("drift", "../etc");
    assertThat(r.code()).isEqualTo(3);
    assertThat(r.err()).contains("no such container: ../etc");
    assertThat(berthIn("images").ok().out()).isEqualTo(before);
    try (var ls = Files.list(store.resolve("containers"))) { assertThat(ls).isEmpty(); }
  }
}
