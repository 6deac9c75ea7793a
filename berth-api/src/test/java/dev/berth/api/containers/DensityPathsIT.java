package dev.berth.api.containers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.TestBerthd;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The fast paths of berthd's create, start and remove, shown by what they leave (not by time):
 * a removed container's directories go to the trash and are deleted from there, also when a
 * crash left them there before a restart; an AutoRemove container's overlay is volatile and
 * another's is not; docker ps is right after creates, renames and removals.
 */
class DensityPathsIT {
  static TestBerthd d;

  @BeforeAll
  static void start() throws Exception {
    d = TestBerthd.start("latency-density");
  }

  @AfterAll
  static void stop() throws Exception {
    if (d == null) return;
    String ids = d.docker("ps", "-aq").out().strip();
    if (!ids.isEmpty()) {
      List<String> rm = new java.util.ArrayList<>(List.of("rm", "-f"));
      rm.addAll(List.of(ids.split("\\s+")));
      d.docker(rm.toArray(String[]::new));
    }
    d.close();
  }

  static Path lib() { return d.tmp().resolve("lib"); }

  static List<String> names(Path dir) throws Exception {
    if (!Files.isDirectory(dir)) return List.of();
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  static void awaitEmpty(Path dir) throws Exception {
    for (int i = 0; i < 600 && !names(dir).isEmpty(); i++) Thread.sleep(100);
    assertThat(names(dir)).as("what is left in %s", dir).isEmpty();
  }

  @Test
  void removedContainersFilesAreGoneAfterTheSweep() throws Exception {
    d.docker("run", "--rm", "--name", "dp-rm", TestBerthd.IMAGE, "true").ok();
    String id = d.docker("create", "--name", "dp-plain", TestBerthd.IMAGE, "true").ok().out().strip();
    assertThat(lib().resolve("engine/containers/" + id)).isDirectory();
    assertThat(lib().resolve("containers/" + id + "/rootfs")).isDirectory();
    d.docker("rm", "dp-plain").ok();
    // gone from their places at once, then from the trash
    assertThat(lib().resolve("engine/containers/" + id)).doesNotExist();
    assertThat(lib().resolve("containers/" + id)).doesNotExist();
    awaitEmpty(lib().resolve("engine/trash"));
    assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(id);
    assertThat(d.docker("ps", "-a", "--format", "{{.Names}}").ok().out()).doesNotContain("dp-rm").doesNotContain("dp-plain");
    // no container record left from the --rm one either
    for (String n : names(lib().resolve("engine/containers"))) {
      assertThat(Files.readString(lib().resolve("engine/containers/" + n + "/container.json"))).doesNotContain("dp-rm");
    }
  }

  @Test
  void whatACrashLeftInTheTrashIsDeletedByTheNextBerthd() throws Exception {
    d.kill9();
    // as a crash between the rename into the trash and the sweep leaves it: a container's tree,
    // a read-only directory and a symbolic link out of it included
    Path left = lib().resolve("engine/trash/0123abcd.1.1");
    Files.createDirectories(left.resolve("upper/etc/ro"));
    Files.writeString(left.resolve("upper/etc/ro/f"), "x");
    Files.setPosixFilePermissions(left.resolve("upper/etc/ro"), PosixFilePermissions.fromString("r-x------"));
    Path outside = Files.createTempFile(d.tmp(), "outside", ".txt");
    Files.createSymbolicLink(left.resolve("upper/link"), outside);
    d.restart();
    awaitEmpty(lib().resolve("engine/trash"));
    assertThat(outside).as("a link's target outside the trash is kept").exists();
    d.docker("run", "--rm", TestBerthd.IMAGE, "true").ok();
  }

  @Test
  void anAutoRemoveContainersOverlayIsVolatileAnotherIsNot() throws Exception {
    String rm = d.docker("run", "--rm", TestBerthd.IMAGE, "grep", " / ", "/proc/self/mountinfo").ok().out();
    assertThat(rm).contains("overlay").contains("volatile");
    String id = d.docker("run", "-d", TestBerthd.IMAGE, "sleep", "100").ok().out().strip();
    String kept = d.docker("exec", id, "grep", " / ", "/proc/self/mountinfo").ok().out();
    assertThat(kept).contains("overlay").doesNotContain("volatile");
    d.docker("rm", "-f", id).ok();
  }

  @Test
  void psIsRightAfterCreatesRenamesAndRemovals() throws Exception {
    d.docker("create", "--name", "dp-a", TestBerthd.IMAGE, "true").ok();
    d.docker("create", "--name", "dp-b", TestBerthd.IMAGE, "true").ok();
    assertThat(psNames()).contains("dp-a", "dp-b");
    d.docker("rename", "dp-b", "dp-c").ok();
    d.docker("rm", "dp-a").ok();
    assertThat(psNames()).contains("dp-c").doesNotContain("dp-a", "dp-b");
    assertThat(d.docker("ps", "-a", "--filter", "name=dp-c", "--format", "{{.Names}} {{.State}}").ok().out().strip()).isEqualTo("dp-c created");
    d.docker("start", "dp-c").ok();
    d.docker("wait", "dp-c").ok();
    assertThat(d.docker("ps", "-a", "--filter", "name=dp-c", "--format", "{{.State}} {{.Status}}").ok().out().strip()).startsWith("exited Exited (0)");
    d.docker("rm", "dp-c").ok();
    assertThat(psNames()).doesNotContain("dp-c");
  }

  static List<String> psNames() throws Exception {
    return List.of(d.docker("ps", "-a", "--format", "{{.Names}}").ok().out().strip().split("\\s+"));
  }
}
