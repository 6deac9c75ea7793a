package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The start-up sweep on the cold path of run/create: a cgroup /&lt;parent&gt;/&lt;id&gt; (the test's own
 * default parent) left in every
 * hierarchy by a crash (no state directory) is removed by the next cold run; one that still holds
 * a process is left as it is and reported only with --debug (stderr) or in --log, never on the
 * normal output.
 */
class CgroupSweepIT extends RuncTest {
  static final Map<String, String> COLD = Map.of("BERTH_NO_FAST", "1");

  static List<Path> hierarchies() throws Exception {
    List<Path> out = new ArrayList<>();
    try (var ds = Files.newDirectoryStream(Path.of("/sys/fs/cgroup"))) {
      for (Path h : ds) if (Files.exists(h.resolve("cgroup.procs"))) out.add(h);
    }
    return out;
  }

  /** mkdir as a crash leaves it (a v1 cpuset filled from its parent, or nothing could join it), an hour old. */
  void leftByACrash(Path h, String id) throws Exception {
    Path parent = h.resolve(runc.cgroupParent), dir = parent.resolve(id);
    Files.createDirectories(dir);
    for (String f : List.of("cpuset.cpus", "cpuset.mems")) {
      for (Path p : List.of(parent, dir)) {
        if (Files.exists(p.resolve(f)) && Files.readString(p.resolve(f)).isBlank()) {
          Files.writeString(p.resolve(f), Files.readString(p.getParent().resolve(f)).strip());
        }
      }
    }
    Files.setLastModifiedTime(dir, FileTime.fromMillis(System.currentTimeMillis() - 3_600_000));
  }

  static List<String> listing(Path dir) throws Exception {
    try (var s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void aColdRunRemovesOrphanCgroupsAndLeavesBusyOnesReportedOnlyInDebugAndLog() throws Exception {
    long me = ProcessHandle.current().pid();
    String orphan = "orphan-" + me, busy = "busy-" + me;
    List<Path> hs = hierarchies();
    Process sleeper = new ProcessBuilder("sleep", "120").start();
    try {
      for (Path h : hs) {
        leftByACrash(h, orphan);
        leftByACrash(h, busy);
        Files.writeString(h.resolve(runc.cgroupParent).resolve(busy).resolve("cgroup.procs"), Long.toString(sleeper.pid()));
      }
      Path b = runc.bundle("b", c -> { }, "echo", "hello");

      Runc.Result plain = runc.exec(COLD, 30, "run", "--bundle", b.toString(), "s1");
      assertThat(plain.code()).as(plain.err()).isZero();
      assertThat(plain.out()).isEqualTo("hello\n");
      assertThat(plain.err()).isEmpty();
      for (Path h : hs) {
        assertThat(h.resolve(runc.cgroupParent).resolve(orphan)).as("orphan in %s", h).doesNotExist();
        assertThat(h.resolve(runc.cgroupParent).resolve(busy)).as("busy in %s", h).isDirectory();
      }

      // at most one sweep a minute per state root: forget the last one
      Path log = runc.tmp.resolve("runc.log");
      Files.delete(runc.root.resolve(".cgroup-sweep"));
      Runc.Result logged = runc.exec(COLD, 30, "--log", log.toString(), "run", "--bundle", b.toString(), "s2");
      assertThat(logged.code()).as(logged.err()).isZero();
      assertThat(logged.out()).isEqualTo("hello\n");
      assertThat(logged.err()).isEmpty();
      assertThat(Files.readString(log)).as("--log (stderr: %s; root: %s)", logged.err(), listing(runc.root))
          .contains("level=warning", "/" + runc.cgroupParent + "/" + busy, "holds processes");

      Files.delete(runc.root.resolve(".cgroup-sweep"));
      Runc.Result debug = runc.exec(COLD, 30, "--debug", "run", "--bundle", b.toString(), "s3");
      assertThat(debug.code()).as(debug.err()).isZero();
      assertThat(debug.out()).isEqualTo("hello\n");
      assertThat(debug.err()).contains("berth-runc: cgroup /" + runc.cgroupParent + "/" + busy + " has no container under " + runc.root,
          "holds processes: left as it is");
      for (Path h : hs) assertThat(h.resolve(runc.cgroupParent).resolve(busy)).isDirectory();
      assertThat(sleeper.isAlive()).as("a busy cgroup's process is never killed").isTrue();
    } finally {
      sleeper.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      for (Path h : hs) {
        for (String id : List.of(busy, orphan)) {
          Path d = h.resolve(runc.cgroupParent).resolve(id);
          for (int i = 0; i < 100 && Files.exists(d); i++) {
            try {
              Files.delete(d);
            } catch (java.nio.file.FileSystemException stillReleasing) {
              Thread.sleep(10);
            }
          }
        }
        Files.deleteIfExists(h.resolve(runc.cgroupParent)); // pruned as berth does with its last container
      }
    }
  }
}
