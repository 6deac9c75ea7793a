package dev.berth.api.containers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.TestBerthd;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** docker diff, docker commit and docker export through a berthd of the test's own, with the real docker CLI. */
class CommitIT {
  static TestBerthd d;

  @BeforeAll
  static void start() throws Exception {
    d = TestBerthd.start("commit");
    d.docker("run", "-d", "--name", "src", "-e", "FROM_RUN=1", TestBerthd.IMAGE, "sh", "-c",
        "echo made-inside > /made; rm /bin/yes; mkdir -p /etc/x && echo y > /etc/x/f; exec sleep 600").ok();
    for (int i = 0; i < 200 && d.docker("exec", "src", "test", "-f", "/etc/x/f").code() != 0; i++) Thread.sleep(50);
  }

  @AfterAll
  static void stop() throws Exception {
    if (d != null) {
      d.docker("rm", "-f", "src", "fromcommit");
      d.close();
    }
  }

  @Test
  void diffListsAddedChangedDeleted() throws Exception {
    List<String> lines = d.docker("diff", "src").ok().out().lines().toList();
    assertThat(lines).contains("A /made", "D /bin/yes", "C /etc", "A /etc/x", "A /etc/x/f");
  }

  @Test
  void commitMakesARunnableImageWithTheChangesAuthorAndComment() throws Exception {
    String id = d.docker("commit", "-a", "Ada <ada@example.org>", "-m", "first commit", "-c", "CMD [\"cat\", \"/made\"]",
        "-c", "ENV COMMITTED=yes", "src", "localhost/committed:v1").ok().out().strip();
    assertThat(id).matches("sha256:[0-9a-f]{64}");
    assertThat(d.docker("run", "--rm", "localhost/committed:v1").ok().out().strip()).isEqualTo("made-inside");
    assertThat(d.docker("run", "--rm", "localhost/committed:v1", "sh", "-c", "echo $COMMITTED $FROM_RUN; test -e /bin/yes || echo no-yes")
        .ok().out().lines().toList()).containsExactly("yes 1", "no-yes");
    assertThat(d.docker("image", "inspect", "-f", "{{.Id}} {{.Author}}", "localhost/committed:v1").ok().out().strip())
        .isEqualTo(id + " Ada <ada@example.org>");
    assertThat(d.docker("history", "--no-trunc", "--format", "{{.Comment}}", "localhost/committed:v1").ok().out())
        .contains("first commit");
    // still running: commit paused it and resumed it
    assertThat(d.docker("inspect", "-f", "{{.State.Status}}", "src").ok().out().strip()).isEqualTo("running");
  }

  @Test
  void commitRefusesBadInput() throws Exception {
    assertThat(d.docker("commit", "-c", "FROBNICATE x", "src", "localhost/bad:1").code()).isNotZero();
    TestBerthd.Ran r = d.docker("commit", "no-such-container", "localhost/bad:2");
    assertThat(r.code()).isNotZero();
    assertThat(r.err()).contains("no-such-container");
    assertThat(d.docker("images", "-q", "localhost/bad").ok().out()).isBlank();
  }

  @Test
  void exportWritesTheWholeFileSystem() throws Exception {
    Path tar = d.tmp().resolve("export.tar");
    d.docker("export", "-o", tar.toString(), "src").ok();
    Process p = new ProcessBuilder("tar", "-tf", tar.toString()).redirectErrorStream(true).start();
    List<String> names = new String(p.getInputStream().readAllBytes()).lines().toList();
    assertThat(p.waitFor()).isZero();
    assertThat(names).contains("made", "bin/busybox", "etc/x/f").doesNotContain("bin/yes");
    assertThat(names).allMatch(n -> !n.startsWith("/") && !n.startsWith("./"));
    Process x = new ProcessBuilder("tar", "-xOf", tar.toString(), "made").start();
    assertThat(new String(x.getInputStream().readAllBytes()).strip()).isEqualTo("made-inside");
    assertThat(Files.size(tar)).isPositive();
  }
}
