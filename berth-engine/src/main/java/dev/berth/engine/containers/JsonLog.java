package dev.berth.engine.containers;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Reading a container's log in Docker's json-file format, which its monitor (berth-launch) writes:
 * one {@code {"log":"...","stream":"stdout|stderr","time":"<RFC3339Nano>"}} per line.
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
      this.ch = FileChannel.open(file, StandardOpenOption.READ);
      this.pos = offset;
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

  /** The whole log's entries within [since, until) (null: unbounded), the last {@code tail} of them (negative: all). */
  public static List<Entry> read(Path file, Instant since, Instant until, int tail) throws IOException {
    Deque<Entry> out = new ArrayDeque<>();
    try (Reader r = new Reader(file, 0)) {
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
