package dev.berth.api.containers;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.api.TestBerthd;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * bin/berth pedigree --affected and drift over berthd's containers (issue 13 §3): containers made
 * with the real docker CLI through a berthd of the test's own, an image committed from one of
 * them, then bin/berth run on the same store root; and berth's provenance in docker image inspect.
 */
class PedigreeDriftIT {
  static TestBerthd d;
  static String webId;

  @BeforeAll
  static void start() throws Exception {
    d = TestBerthd.start("pedigree");
    d.docker("run", "-d", "--name", "web", TestBerthd.IMAGE, "sh", "-c",
        "cp /bin/busybox /tmp/tool; echo note > /notes; rm /bin/yes; echo ok > /tmp/ready; exec sleep 600").ok();
    for (int i = 0; i < 200 && d.docker("exec", "web", "test", "-f", "/tmp/ready").code() != 0; i++) Thread.sleep(50);
    webId = d.docker("inspect", "-f", "{{.Id}}", "web").ok().out().strip();
    d.docker("commit", "web", "localhost/derived:1").ok();
    d.docker("create", "--name", "idle", "localhost/derived:1", "true").ok();
  }

  @AfterAll
  static void stop() throws Exception {
    if (d != null) {
      d.docker("rm", "-f", "web", "idle");
      d.close();
    }
  }

  static TestBerthd.Ran berth(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(TestBerthd.REPO.resolve("bin/berth").toString()));
    cmd.addAll(List.of(args));
    cmd.add(2, "--root");   // after the command's name, as bin/berth takes it
    cmd.add(3, d.tmp().resolve("lib").toString());
    Path out = Files.createTempFile(d.tmp(), "berth-out", ".txt"), err = Files.createTempFile(d.tmp(), "berth-err", ".txt");
    Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("timed out: " + cmd);
    }
    return new TestBerthd.Ran(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  @Test
  void affectedListsBerthdContainersByNameRunningOrNot() throws Exception {
    String out = berth("pedigree", "--affected", TestBerthd.IMAGE).ok().out();
    assertThat(out).containsPattern("(?m)^  localhost/derived:1 +[0-9a-f]{12} +2 +\\+1$")
        .containsPattern("(?m)^  web \\(berthd " + webId.substring(0, 12) + "\\) +berthd +localhost/berth/busybox:latest +yes +[0-9]")
        .containsPattern("(?m)^  idle \\(berthd [0-9a-f]{12}\\) +berthd +localhost/derived:1 +no *$");
    JsonNode j = new ObjectMapper().readTree(berth("pedigree", "--affected", "--format", "json", "localhost/derived:1").ok().out());
    assertThat(j.get("containers")).hasSize(1);
    assertThat(j.get("containers").get(0).get("name").asText()).isEqualTo("idle");
    assertThat(j.get("containers").get(0).get("kind").asText()).isEqualTo("berthd");
    assertThat(j.get("containers").get(0).get("running").asBoolean()).isFalse();
    assertThat(berth("images", "--tree").ok().out()).containsPattern("(?m)^└── localhost/derived:1 +[0-9a-f]{12} +\\+1 layer$");
  }

  @Test
  void driftOfABerthdContainerByNameCallsOutTheDroppedBinary() throws Exception {
    String out = berth("drift", "web").ok().out();
    assertThat(out.lines().findFirst().orElseThrow()).startsWith("web (berthd " + webId.substring(0, 12) + ") (image ")
        .contains("running").endsWith("1 executable");
    assertThat(out).contains("D /bin/yes\n").containsPattern("(?m)^A /tmp/tool  \\[file 0[0-7]{3} [0-9]+ B\\]  EXECUTABLE \\(ELF\\)$")
        .containsPattern("(?m)^A /notes  \\[file 0644 5 B\\]$");
    // by ID prefix too; the same paths as docker diff
    JsonNode j = new ObjectMapper().readTree(berth("drift", "--format", "json", webId.substring(0, 12)).ok().out());
    List<String> fromDrift = new ArrayList<>();
    j.get("changes").forEach(c -> fromDrift.add(c.get("kind").asText() + " " + c.get("path").asText()));
    assertThat(fromDrift).containsExactlyInAnyOrderElementsOf(d.docker("diff", "web").ok().out().lines().toList());
    TestBerthd.Ran r = berth("drift", "no-such-container");
    assertThat(r.code()).isEqualTo(3);
    assertThat(r.err()).isEqualTo("berth: no such container: no-such-container\n");
  }

  @Test
  void imageInspectCarriesBerthsProvenance() throws Exception {
    JsonNode p = new ObjectMapper().readTree(d.docker("image", "inspect", "-f", "{{json .BerthProvenance}}", "localhost/derived:1").ok().out());
    assertThat(p).hasSize(2);
    assertThat(p.get(0).get("Source").asText()).startsWith("load of ");
    assertThat(p.get(0).get("IntroducedBy").get("RepoTags").toString()).contains(TestBerthd.IMAGE);
    assertThat(p.get(1).get("Source").asText()).startsWith("committed from container " + webId + " of ");
    assertThat(p.get(1).get("IntroducedBy").get("RepoTags").toString()).contains("localhost/derived:1");
  }
}
