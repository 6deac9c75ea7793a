package dev.berth.engine.containers;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading a log the way the monitor rotates it (renames LOG.k -> LOG.k+1, LOG -> LOG.1, a new LOG). */
class JsonLogFollowerTest {
  @TempDir Path tmp;

  private static void append(Path f, int from, int to) throws IOException {
    StringBuilder b = new StringBuilder();
    for (int i = from; i <= to; i++) {
      b.append("{\"log\":\"line-").append(i).append("\\n\",\"stream\":\"stdout\",\"time\":\"2026-01-01T00:00:0")
          .append(i % 10).append(".000000000Z\"}\n");
    }
    Files.writeString(f, b, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  /** What the monitor does with max-file 3. */
  private static void rotate(Path log) throws IOException {
    Path one = log.resolveSibling(log.getFileName() + ".1"), two = log.resolveSibling(log.getFileName() + ".2");
    Files.deleteIfExists(two);
    if (Files.exists(one)) Files.move(one, two, StandardCopyOption.ATOMIC_MOVE);
    Files.move(log, one, StandardCopyOption.ATOMIC_MOVE);
    Files.createFile(log);
  }

  private static List<String> lines(List<JsonLog.Entry> es) {
    List<String> out = new ArrayList<>();
    for (JsonLog.Entry e : es) out.add(new String(e.data(), StandardCharsets.UTF_8).trim());
    return out;
  }

  private static List<String> drain(JsonLog.Follower f) throws IOException {
    List<String> out = new ArrayList<>();
    for (List<JsonLog.Entry> b = f.poll(); !b.isEmpty(); b = f.poll()) out.addAll(lines(b));
    return out;
  }

  private static List<String> expected(int from, int to) {
    List<String> out = new ArrayList<>();
    for (int i = from; i <= to; i++) out.add("line-" + i);
    return out;
  }

  @Test
  void readsTheRotatedFilesOldestFirst() throws Exception {
    Path log = tmp.resolve("c-json.log");
    append(log, 1, 3);
    rotate(log);
    append(log, 4, 6);
    rotate(log);
    append(log, 7, 8);
    try (JsonLog.Follower f = JsonLog.Follower.fromOldest(log)) {
      assertThat(drain(f)).isEqualTo(expected(1, 8));
    }
    assertThat(lines(JsonLog.read(log, null, null, 4))).isEqualTo(expected(5, 8));
  }

  @Test
  void followsAcrossRotations() throws Exception {
    Path log = tmp.resolve("c-json.log");
    append(log, 1, 2);
    try (JsonLog.Follower f = JsonLog.Follower.fromOldest(log)) {
      assertThat(drain(f)).isEqualTo(expected(1, 2));
      append(log, 3, 4); // written before the rename: drained from the old file
      rotate(log);
      append(log, 5, 5);
      assertThat(drain(f)).isEqualTo(expected(3, 5));
      // two rotations before the next look: the file in between (now LOG.1) is not skipped
      append(log, 6, 6);
      rotate(log);
      append(log, 7, 7);
      rotate(log);
      append(log, 8, 9);
      assertThat(drain(f)).isEqualTo(expected(6, 9));
    }
  }

  @Test
  void atAPositionFindsTheFileByInodeAfterARotation() throws Exception {
    Path log = tmp.resolve("c-json.log");
    append(log, 1, 2);
    JsonLog.Position p = JsonLog.end(log);
    append(log, 3, 4);
    rotate(log);
    append(log, 5, 5);
    try (JsonLog.Follower f = JsonLog.Follower.at(log, p)) {
      assertThat(drain(f)).isEqualTo(expected(3, 5));
    }
  }

  @Test
  void truncationWithOneFileStartsOver() throws Exception {
    Path log = tmp.resolve("c-json.log");
    append(log, 1, 5);
    try (JsonLog.Follower f = JsonLog.Follower.fromOldest(log)) {
      assertThat(drain(f)).hasSize(5);
      try (var ch = java.nio.channels.FileChannel.open(log, StandardOpenOption.WRITE)) {
        ch.truncate(0);
      }
      append(log, 6, 6);
      assertThat(drain(f)).isEqualTo(expected(6, 6));
    }
  }

  @Test
  void noLogIsEmpty() throws Exception {
    try (JsonLog.Follower f = JsonLog.Follower.fromOldest(tmp.resolve("none"))) {
      assertThat(f.poll()).isEmpty();
    }
    assertThat(JsonLog.end(tmp.resolve("none"))).isNull();
  }
}
