package dev.berth.engine.containers;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Reading a container's log in Docker's json-file format, which its monitor (berth-launch) writes:
 * one {@code {"log":"...","stream":"stdout|stderr","time":"<RFC3339Nano>"}} per line, rotated by
 * the monitor (max-size/max-file: LOG.N-1 ... LOG.1, LOG; docs/plan-format.md, "Rotation").
 */
public final class JsonLog {
  private JsonLog() {}

  /** One entry: stream 1 stdout, 2 stderr; time as written (RFC3339Nano) and parsed. */
  public record Entry(int stream, byte[] data, String time, Instant instant) {}

  static Entry parse(byte[] line, int off, int len) {
    try {
      JsonNode n = Container.M.readTree(line, off, len);
      String t = n.path("time").asText("");
      Instant i;
      try {
        i = Instant.parse(t);
      } catch (RuntimeException e) {
        i = Instant.EPOCH;
      }
      return new Entry("stderr".equals(n.path("stream").asText()) ? 2 : 1,
          n.path("log").asText("").getBytes(StandardCharsets.UTF_8), t, i);
    } catch (IOException e) {
      return null; // a torn or foreign line: skipped, as dockerd's reader does
    }
  }

  /**
   * Reads a log file incrementally from an offset: {@link #poll} returns the complete lines
   * written since. Holds the file open, so a container removed meanwhile is still read to its end.
   */
  public static final class Reader implements Closeable {
    private final FileChannel ch;
    private long pos;
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    private final ByteBuffer buf = ByteBuffer.allocate(64 * 1024);

    public Reader(Path file, long offset) throws IOException {
      this(FileChannel.open(file, StandardOpenOption.READ), offset);
    }

    Reader(FileChannel ch, long offset) {
      this.ch = ch;
      this.pos = offset;
    }

    void seekBack(long offset) {
      if (offset >= 0 && offset < pos) {
        pos = offset;
        partial.reset();
      }
    }

    /** The file is shorter than what was read (truncated: max-file 1): starts over at 0. */
    boolean truncated() throws IOException {
      if (ch.size() >= pos) return false;
      pos = 0;
      partial.reset();
      return true;
    }

    public long position() { return pos; }

    /** The complete entries after the last call (none: an empty list). */
    public List<Entry> poll() throws IOException {
      List<Entry> out = new ArrayList<>();
      for (;;) {
        buf.clear();
        int n = ch.read(buf, pos);
        if (n <= 0) break;
        pos += n;
        byte[] b = buf.array();
        int start = 0;
        for (int i = 0; i < n; i++) {
          if (b[i] != '\n') continue;
          if (partial.size() > 0) {
            partial.write(b, start, i - start);
            byte[] line = partial.toByteArray();
            partial.reset();
            Entry e = parse(line, 0, line.length);
            if (e != null) out.add(e);
          } else if (i > start) {
            Entry e = parse(b, start, i - start);
            if (e != null) out.add(e);
          }
          start = i + 1;
        }
        if (start < n) partial.write(b, start, n - start);
        if (out.size() > 1024) break;
      }
      return out;
    }

    @Override public void close() throws IOException { ch.close(); }
  }

  /** Where a reader stands: a file (by inode: rotation renames it) and an offset in it. */
  public record Position(long inode, long offset) {}

  /** The current end of the log (its newest file); null if there is no log. */
  public static Position end(Path log) {
    for (int i = 0; i < 20; i++) {
      try {
        long before = inode(log);
        long size = Files.size(log);
        if (inode(log) == before) return new Position(before, size);
      } catch (IOException e) {
        return null;
      }
    }
    return null;
  }

  static long inode(Path p) throws IOException {
    return ((Number) Files.readAttributes(p, "unix:ino").get("ino")).longValue();
  }

  /** A file opened by path whose inode is known (checked before and after the open: rotation renames files). */
  private record Opened(FileChannel ch, long inode) {}

  private static Opened openVerified(Path p, long expect) throws IOException {
    for (int i = 0; i < 20; i++) {
      long before = inode(p);
      if (expect >= 0 && before != expect) return null;
      FileChannel ch = FileChannel.open(p, StandardOpenOption.READ);
      long after;
      try {
        after = inode(p);
      } catch (IOException e) {
        ch.close();
        throw e;
      }
      if (before == after) return new Opened(ch, after);
      ch.close();
    }
    return null;
  }

  /** LOG.1, LOG.2, ... (what rotation made) by number, with their inodes. */
  private static java.util.TreeMap<Integer, Long> rotated(Path log) {
    java.util.TreeMap<Integer, Long> out = new java.util.TreeMap<>();
    String base = log.getFileName().toString() + ".";
    try (java.util.stream.Stream<Path> s = Files.list(log.getParent())) {
      for (Path p : (Iterable<Path>) s::iterator) {
        String n = p.getFileName().toString();
        if (!n.startsWith(base) || n.length() == base.length()) continue;
        String num = n.substring(base.length());
        if (!num.chars().allMatch(Character::isDigit) || num.length() > 9) continue;
        try {
          out.put(Integer.parseInt(num), inode(p));
        } catch (IOException e) {
          // renamed meanwhile
        }
      }
    } catch (IOException e) {
      // the directory is gone (the container removed)
    }
    return out;
  }

  private static Path numbered(Path log, int n) {
    return n == 0 ? log : log.resolveSibling(log.getFileName() + "." + n);
  }

  /**
   * Reads a rotated json-file log in order across its files (LOG.N-1 ... LOG.1, LOG) and goes on
   * across rotations while the monitor writes: at the end of its current file it checks whether LOG
   * is still that file (by inode); if not, it drains the old one (the monitor wrote to it before the
   * rename) and continues with the file that came after it: found by inode among LOG.k, it is
   * LOG.k-1 (or LOG). With max-file 1 (truncation) a file shorter than the position is read again
   * from its start. Files are held open, so a removal of the container does not cut a read short.
   * Entries of a file rotated away and deleted before it was reached are lost (as with dockerd).
   */
  public static final class Follower implements Closeable {
    private final Path log;
    private final Deque<Opened> queued = new ArrayDeque<>(); // opened ahead (oldest first), read before rotation checks
    private Reader cur;
    private long inode = -1;

    private Follower(Path log) { this.log = log; }

    /** From the oldest entry the log still has (docker logs, attach with logs=1). */
    public static Follower fromOldest(Path log) throws IOException {
      Follower f = new Follower(log);
      // newest first, so that a rotation between the opens shows as a file seen twice (skipped), never a gap
      java.util.LinkedHashMap<Long, Opened> seen = new java.util.LinkedHashMap<>();
      try {
        Opened main = openVerified(log, -1);
        if (main != null) seen.put(main.inode(), main);
        for (var e : rotated(log).entrySet()) {
          if (seen.containsKey(e.getValue())) continue;
          try {
            Opened o = openVerified(numbered(log, e.getKey()), e.getValue());
            if (o != null) seen.put(o.inode(), o);
          } catch (java.nio.file.NoSuchFileException ignored) {
            // rotated away meanwhile
          }
        }
      } catch (java.nio.file.NoSuchFileException e) {
        // no log (yet)
      } catch (IOException | RuntimeException e) {
        for (Opened o : seen.values()) o.ch().close();
        throw e;
      }
      List<Opened> newestFirst = new ArrayList<>(seen.values());
      for (int i = newestFirst.size() - 1; i >= 0; i--) f.queued.addLast(newestFirst.get(i));
      f.next();
      return f;
    }

    /** From a position (the end of the log when a run started: attach); null: from the current end. */
    public static Follower at(Path log, Position p) throws IOException {
      Follower f = new Follower(log);
      if (p == null) p = end(log);
      if (p == null) return f;
      Opened o = openVerified(log, p.inode());
      if (o == null) {
        // rotated since: find it by inode among LOG.k
        for (var e : rotated(log).entrySet()) {
          if (e.getValue() != p.inode()) continue;
          try {
            o = openVerified(numbered(log, e.getKey()), p.inode());
          } catch (java.nio.file.NoSuchFileException ignored) {
            // rotated again
          }
        }
      }
      if (o == null) o = openVerified(log, -1); // rotated away: what is left starts with LOG
      if (o == null) return f;
      f.cur = new Reader(o.ch(), o.inode() == p.inode() ? p.offset() : 0);
      f.inode = o.inode();
      return f;
    }

    /**
     * Back to a position in the file being read (same inode, an offset before ours: output a run
     * wrote between our look at the container and our open); any other position is left alone.
     */
    public void reposition(Position p) {
      if (p == null || cur == null || p.inode() != inode || !queued.isEmpty()) return;
      cur.seekBack(p.offset());
    }

    private boolean next() throws IOException {
      Opened o = queued.pollFirst();
      if (o == null) return false;
      if (cur != null) cur.close();
      cur = new Reader(o.ch(), 0);
      inode = o.inode();
      return true;
    }

    /** The complete entries since the last call; empty at the current end of the newest file. */
    public List<Entry> poll() throws IOException {
      for (int round = 0; round < 64; round++) {
        if (cur == null) {
          if (next()) continue;
          Opened o = null;
          try {
            o = openVerified(log, -1);
          } catch (java.nio.file.NoSuchFileException e) {
            // not there (yet, or any more)
          }
          if (o == null) return List.of();
          cur = new Reader(o.ch(), 0);
          inode = o.inode();
        }
        List<Entry> b = cur.poll();
        if (!b.isEmpty()) return b;
        if (next()) continue;
        if (cur.truncated()) continue; // max-file 1: read the new content from the start
        long now;
        try {
          now = inode(log);
        } catch (IOException e) {
          return b; // removed: what we hold is all there is
        }
        if (now == inode) return b;
        // rotated: what was written to our file before the rename, then the file after it
        b = cur.poll();
        if (!b.isEmpty()) return b;
        Opened o = successor();
        if (o == null) return b;
        cur.close();
        cur = new Reader(o.ch(), 0);
        inode = o.inode();
      }
      return List.of();
    }

    /** The file that came after ours: LOG.k-1 if ours is LOG.k now; LOG if ours is gone. */
    private Opened successor() throws IOException {
      for (int attempt = 0; attempt < 50; attempt++) {
        java.util.TreeMap<Integer, Long> r = rotated(log);
        Integer ours = null;
        for (var e : r.entrySet()) if (e.getValue() == inode) ours = e.getKey();
        try {
          if (ours != null) {
            Opened o = ours == 1 ? openVerified(log, -1) : openVerified(numbered(log, ours - 1), r.getOrDefault(ours - 1, -1L));
            if (o != null && o.inode() != inode) return o;
            if (o != null) o.ch().close();
          } else if (attempt >= 10) {
            return openVerified(log, -1); // ours was rotated away: go on with the newest
          }
        } catch (java.nio.file.NoSuchFileException e) {
          // mid-rotation: again
        }
        try {
          Thread.sleep(5);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return null;
        }
      }
      return null;
    }

    @Override
    public void close() throws IOException {
      if (cur != null) cur.close();
      for (Opened o : queued) o.ch().close();
      queued.clear();
    }
  }

  /** The whole log's entries within [since, until) (null: unbounded), the last {@code tail} of them (negative: all). */
  public static List<Entry> read(Path file, Instant since, Instant until, int tail) throws IOException {
    Deque<Entry> out = new ArrayDeque<>();
    try (Follower r = Follower.fromOldest(file)) {
      for (List<Entry> batch = r.poll(); !batch.isEmpty(); batch = r.poll()) {
        for (Entry e : batch) {
          if (since != null && e.instant().isBefore(since)) continue;
          if (until != null && !e.instant().isBefore(until)) continue;
          out.addLast(e);
          if (tail >= 0 && out.size() > tail) out.removeFirst();
        }
      }
    } catch (java.nio.file.NoSuchFileException e) {
      return List.of();
    }
    return new ArrayList<>(out);
  }
}
