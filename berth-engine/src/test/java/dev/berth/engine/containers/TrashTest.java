package dev.berth.engine.containers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrashTest {
  @TempDir Path tmp;

  @Test
  void aMovedTreeLeavesItsPlaceAtOnceAndIsDeletedBySweeper() throws Exception {
    Path c = tmp.resolve("containers/abc");
    Files.createDirectories(c.resolve("upper/d"));
    Files.writeString(c.resolve("upper/d/f"), "x");
    Path outside = Files.writeString(tmp.resolve("outside"), "keep");
    Files.createSymbolicLink(c.resolve("upper/link"), outside);
    try (Trash t = new Trash(tmp.resolve("trash"))) {
      assertTrue(t.moveIn(c));
      assertFalse(Files.exists(c));
      Files.createDirectories(c); // the name is free again at once
      assertTrue(t.awaitSwept(60_000));
      try (var s = Files.list(t.dir())) {
        assertEquals(0, s.count());
      }
      assertEquals("keep", Files.readString(outside));
      assertTrue(t.moveIn(tmp.resolve("never-there")));
    }
  }

  @Test
  void whatAnEarlierEngineLeftIsSweptAtOpen() throws Exception {
    Path left = tmp.resolve("trash/x.1.1/a/b");
    Files.createDirectories(left);
    Files.writeString(left.resolve("f"), "x");
    Files.setPosixFilePermissions(left, PosixFilePermissions.fromString("r-x------"));
    try (Trash t = new Trash(tmp.resolve("trash"))) {
      assertTrue(t.awaitSwept(60_000));
      try (var s = Files.list(t.dir())) {
        assertEquals(0, s.count());
      }
    }
  }
}
