package dev.berth.engine.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The engine's events kept on disk so {@code since}/{@code until} replay works across a berthd
 * restart (dockerd keeps its last 256 in memory only). A subscriber of the {@link EventBus}: each
 * event is one JSON line appended to {@code <dir>/events.log} with one write (O_APPEND). The file
 * is bounded: past {@link #MAX_FILE} bytes it is fsynced and renamed to {@code events.log.1} (the
 * previous one dropped), so at most two files are kept; the last {@link #MAX_EVENTS} events are
 * also held in memory, which is what replays read.
 *
 * <p>Crash safety: a write is one system call, so a berthd killed with -9 loses nothing the page
 * cache had; a torn last line (a host crash mid-write) is cut off at the next open, and any line
 * that does not parse is skipped. Lines are not fsynced one by one (an event per container start
 * would cost a disk flush); the rotation and {@link #close} fsync.
 *
 * <p>Streams ({@code GET /events}) attach with {@link #follow}: the replay of the past events and
 * the registration for the live ones happen under one lock, the same that appends, so a stream
 * sees every event exactly once, in publishing order.
 */
public final class EventJournal implements Closeable {
  /** Bytes of the current file before it is rotated. */
  static final long MAX_FILE = 4L * 1024 * 1024;
  /** Events held in memory for replays. */
  static final int MAX_EVENTS = 20_000;
  static final String FILE = "events.log", OLD = "events.log.1";
  private static final ObjectMapper M = new ObjectMapper();
  static java.io.PrintStream log = System.err;

  private final Path dir;
  private final long maxFile;
  private final int maxEvents;
  private final ArrayDeque<EventBus.Event> ring = new ArrayDeque<>();
  private final List<Consumer<EventBus.Event>> live = new CopyOnWriteArrayList<>();
  private FileChannel out;
  private long size;
  private AutoCloseable subscription;

  EventJournal(Path dir, long maxFile, int maxEvents) throws IOException {
    this.dir = dir;
    this.maxFile = maxFile;
    this.maxEvents = maxEvents;
    Files.createDirectories(dir);
    load(dir.resolve(OLD), false);
    load(dir.resolve(FILE), true);
    open();
  }

  /** The journal in {@code dir} (created if absent), subscribed to {@code bus}. */
  public static EventJournal open(Path dir, EventBus bus) throws IOException {
    EventJournal j = new EventJournal(dir, MAX_FILE, MAX_EVENTS);
    j.subscription = bus.subscribe(j::append);
    return j;
  }

  private void open() throws IOException {
    out = FileChannel.open(dir.resolve(FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    size = out.size();
  }

  /** Reads one file into the ring; {@code repair}: a torn last line is cut off so appends start on a line. */
  private void load(Path f, boolean repair) throws IOException {
    if (!Files.isRegularFile(f)) return;
    byte[] b = Files.readAllBytes(f);
    int start = 0, lastNl = -1;
    for (int i = 0; i < b.length; i++) {
      if (b[i] != '\n') continue;
      lastNl = i;
      EventBus.Event e = parse(new String(b, start, i - start, StandardCharsets.UTF_8));
      if (e != null) keep(e);
      start = i + 1;
    }
    if (repair && lastNl + 1 < b.length) {
      log.println("berthd: " + f + ": a torn last event (" + (b.length - lastNl - 1) + " bytes) cut off");
      try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
        ch.truncate(lastNl + 1);
        ch.force(true);
      }
    }
  }

  private void keep(EventBus.Event e) {
    ring.addLast(e);
    while (ring.size() > maxEvents) ring.removeFirst();
  }

  static String line(EventBus.Event e) {
    ObjectNode o = M.createObjectNode();
    o.put("type", e.type());
    o.put("action", e.action());
    o.put("id", e.actorId());
    ObjectNode a = o.putObject("attributes");
    new TreeMap<>(e.attributes()).forEach(a::put);
    o.put("timeNano", e.timeNanos());
    return o.toString();
  }

  static EventBus.Event parse(String line) {
    try {
      JsonNode o = M.readTree(line);
      if (o == null || !o.isObject() || !o.path("timeNano").canConvertToLong()) return null;
      Map<String, String> a = new TreeMap<>();
      o.path("attributes").properties().forEach(x -> a.put(x.getKey(), x.getValue().asText()));
      return new EventBus.Event(o.path("type").asText(), o.path("action").asText(), o.path("id").asText(), a, o.get("timeNano").asLong());
    } catch (IOException | RuntimeException ex) {
      return null;
    }
  }

  /** The bus's delivery: append, keep, hand to the streams. */
  synchronized void append(EventBus.Event e) {
    keep(e);
    if (out != null) {
      try {
        byte[] b = (line(e) + "\n").getBytes(StandardCharsets.UTF_8);
        ByteBuffer bb = ByteBuffer.wrap(b);
        while (bb.hasRemaining()) out.write(bb);
        size += b.length;
        if (size >= maxFile) rotate();
      } catch (IOException ex) {
        log.println("berthd: cannot write the event journal in " + dir + ": " + ex.getMessage());
      }
    }
    for (Consumer<EventBus.Event> c : live) {
      try {
        c.accept(e);
      } catch (RuntimeException ignored) {
        // a broken stream never stops the others
      }
    }
  }

  private void rotate() throws IOException {
    out.force(true);
    out.close();
    Files.move(dir.resolve(FILE), dir.resolve(OLD), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    open();
  }

  /**
   * Hands {@code to} the kept events with {@code since <= time <= until} (nanoseconds since the
   * epoch; 0 or less: unbounded), then, if {@code follow}, every new one as it is published, until
   * the returned handle is closed. Called with the journal's lock held throughout the replay.
   */
  public synchronized AutoCloseable follow(long sinceNanos, long untilNanos, boolean follow, Consumer<EventBus.Event> to) {
    for (EventBus.Event e : ring) {
      if (sinceNanos > 0 && e.timeNanos() < sinceNanos) continue;
      if (untilNanos > 0 && e.timeNanos() > untilNanos) break;
      to.accept(e);
    }
    if (!follow) return () -> {};
    live.add(to);
    return () -> live.remove(to);
  }

  /** The kept events (a copy), oldest first. */
  public synchronized List<EventBus.Event> events() { return new ArrayList<>(ring); }

  /** For tests: how many streams follow. */
  public int followers() { return live.size(); }

  @Override
  public synchronized void close() {
    try {
      if (subscription != null) subscription.close();
    } catch (Exception ignored) {
      // removal from a list
    }
    try {
      if (out != null) {
        out.force(true);
        out.close();
      }
    } catch (IOException e) {
      log.println("berthd: cannot close the event journal: " + e.getMessage());
    }
    out = null;
  }
}
