package dev.berth.engine.volumes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.engine.containers.EngineException;
import dev.berth.engine.events.EventBus;
import dev.berth.sys.Linux;
import dev.berth.sys.Syscalls;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Docker's volumes with the {@code local} driver: volume NAME is the directory
 * {@code <root>/volumes/NAME/_data}, its metadata (creation time, labels, driver options)
 * {@code <root>/volumes/NAME/volume.json}, written crash-safely (temp file, fsync, rename). A
 * create makes {@code _data} first and the record last; a directory without a record at start-up
 * is a create that did not finish and is removed (one with {@code _data} but no record — made by
 * an older berthd — is adopted). A remove renames the directory away first, so a crash leaves
 * nothing half-removed under the volume's name.
 *
 * <p>Driver options as the local driver's: {@code type}, {@code device}, {@code o} — the volume is
 * then mounted on {@code _data} ({@code mount -t type -o o device}; {@code o=bind} binds a host
 * directory) when a container using it starts, and unmounted when the last running one stops. Anonymous
 * volumes carry the label {@code com.docker.volume.anonymous} (as dockerd 23+): what prune removes
 * by default and {@code docker rm -v} removes.
 *
 * <p>Events (type volume): create, destroy, and mount/unmount as containers start and stop.
 */
public final class VolumeService {
  public static final String ANONYMOUS = "com.docker.volume.anonymous";
  static final Pattern NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]+");
  static final Set<String> OPTIONS = Set.of("type", "device", "o");
  private static final ObjectMapper M = new ObjectMapper();
  private static final DateTimeFormatter CREATED = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssXXX").withZone(ZoneOffset.UTC);
  static java.io.PrintStream log = System.err;

  /** One volume: its name, RFC 3339 creation time, labels and the local driver's options. */
  public record Volume(String name, String createdAt, Map<String, String> labels, Map<String, String> options) {
    public Volume {
      labels = Map.copyOf(labels);
      options = Map.copyOf(options);
    }

    public boolean anonymous() { return labels.containsKey(ANONYMOUS); }
  }

  private final Path dir;
  private final EventBus events;
  private final Syscalls sys;
  private final Map<String, Volume> byName = new ConcurrentHashMap<>();
  private final SecureRandom random = new SecureRandom();
  private volatile Function<String, List<String>> users = n -> List.of();

  /** The volumes under {@code dir} ({@code <root>/volumes}), publishing to {@code events}. */
  public VolumeService(Path dir, EventBus events) throws IOException {
    this(dir, events, Syscalls.linux());
  }

  /** As above, reaching the kernel (a volume's own mount: type, device, o) through {@code sys}. */
  public VolumeService(Path dir, EventBus events, Syscalls sys) throws IOException {
    this.dir = dir;
    this.events = events;
    this.sys = sys;
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    load();
  }

  /** Who uses a volume: the ids of the containers (any state) that mount it; set by the containers engine. */
  public void users(Function<String, List<String>> users) { this.users = users; }

  public Path dir() { return dir; }

  private void load() throws IOException {
    try (var ds = Files.newDirectoryStream(dir)) {
      for (Path d : ds) {
        String name = d.getFileName().toString();
        if (name.startsWith(".")) {
          deleteTree(d); // a remove that did not finish
          continue;
        }
        if (!Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS) || !NAME.matcher(name).matches()) continue;
        Path f = d.resolve("volume.json");
        try {
          if (Files.isRegularFile(f)) {
            byName.put(name, read(name, M.readTree(f.toFile())));
          } else if (Files.isDirectory(d.resolve("_data"))) {
            Instant t = Files.getLastModifiedTime(d).toInstant();
            Volume v = new Volume(name, CREATED.format(t), Map.of(), Map.of());
            save(v);
            byName.put(name, v);
          } else {
            log.println("berthd: volume " + name + ": neither volume.json nor _data (a create that did not finish): removed");
            deleteTree(d);
          }
        } catch (IOException | RuntimeException e) {
          log.println("berthd: cannot read volume " + name + ": " + e.getMessage());
        }
      }
    }
  }

  private static Volume read(String name, JsonNode o) {
    Map<String, String> labels = new TreeMap<>(), opts = new TreeMap<>();
    o.path("Labels").properties().forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
    o.path("Options").properties().forEach(e -> opts.put(e.getKey(), e.getValue().asText()));
    return new Volume(name, o.path("CreatedAt").asText(""), labels, opts);
  }

  private void save(Volume v) throws IOException {
    ObjectNode o = M.createObjectNode();
    o.put("Name", v.name());
    o.put("CreatedAt", v.createdAt());
    ObjectNode l = o.putObject("Labels");
    new TreeMap<>(v.labels()).forEach(l::put);
    ObjectNode op = o.putObject("Options");
    new TreeMap<>(v.options()).forEach(op::put);
    writeAtomic(dir.resolve(v.name()).resolve("volume.json"), M.writerWithDefaultPrettyPrinter().writeValueAsBytes(o));
  }

  static void writeAtomic(Path file, byte[] content) throws IOException {
    Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer bb = ByteBuffer.wrap(content);
      while (bb.hasRemaining()) ch.write(bb);
      ch.force(true);
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    try (FileChannel d = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException ignored) {
      // some file systems refuse fsync on a directory
    }
  }

  // ---- create, get, list, remove -----------------------------------------------------------

  /** A new random name (64 hex digits, as dockerd's). */
  public String newName() {
    byte[] b = new byte[32];
    random.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  /** dockerd's message for a name the local driver refuses, or null. */
  public static String checkName(String name) {
    if (NAME.matcher(name).matches()) return null;
    return "create " + name + ": \"" + name + "\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed."
        + " If you intended to pass a host directory, use absolute path";
  }

  public record Created(Volume volume, boolean created) {}

  /**
   * POST /volumes/create: name (empty: a random one), driver (empty or "local"), the local
   * driver's options, labels. An existing volume of that name is returned as it is (dockerd).
   */
  public synchronized Created create(String name, String driver, Map<String, String> options, Map<String, String> labels) {
    if (driver != null && !driver.isEmpty() && !driver.equals("local")) {
      throw new EngineException(EngineException.Kind.NOT_FOUND, "error looking up volume plugin " + driver + ": plugin \"" + driver + "\" not found");
    }
    String n = name == null || name.isEmpty() ? newName() : name;
    String bad = checkName(n);
    if (bad != null) throw EngineException.invalid(bad);
    Volume old = byName.get(n);
    if (old != null) return new Created(old, false);
    Map<String, String> opts = options == null ? Map.of() : options;
    for (String k : opts.keySet()) if (!OPTIONS.contains(k)) throw EngineException.invalid("create " + n + ": invalid option: \"" + k + "\"");
    if (!opts.isEmpty()) {
      if (opts.getOrDefault("type", "").isEmpty() && !opts.getOrDefault("o", "").contains("bind"))
        throw EngineException.invalid("create " + n + ": missing required option: \"type\"");
      if (opts.getOrDefault("device", "").isEmpty()) throw EngineException.invalid("create " + n + ": missing required option: \"device\"");
    }
    Volume v = new Volume(n, CREATED.format(Instant.now()), labels == null ? Map.of() : labels, opts);
    Path d = dir.resolve(n);
    try {
      Files.createDirectories(d.resolve("_data"));
      Files.setPosixFilePermissions(d.resolve("_data"), PosixFilePermissions.fromString("rwxr-xr-x"));
      save(v);
    } catch (IOException e) {
      deleteTree(d);
      throw EngineException.system("create " + n + ": " + e.getMessage());
    }
    byName.put(n, v);
    events.publish("volume", "create", n, Map.of("driver", "local"));
    return new Created(v, true);
  }

  /** The volume, or 404 "get NAME: no such volume". */
  public Volume get(String name) {
    Volume v = name == null ? null : byName.get(name);
    if (v == null) throw new EngineException(EngineException.Kind.NOT_FOUND, "get " + name + ": no such volume");
    return v;
  }

  public boolean exists(String name) { return byName.containsKey(name); }

  public List<Volume> list() {
    List<Volume> l = new ArrayList<>(byName.values());
    l.sort(Comparator.comparing(Volume::name));
    return l;
  }

  /** The directory a container mounts: {@code <root>/volumes/NAME/_data}. */
  public Path data(String name) { return dir.resolve(name).resolve("_data"); }

  /** The containers using it (ids). */
  public List<String> usedBy(String name) { return users.apply(name); }

  /** DELETE /volumes/{name}: 404 if absent (none with {@code force}), 409 while a container uses it. */
  public synchronized void remove(String name, boolean force) {
    Volume v = byName.get(name);
    if (v == null) {
      if (force) return;
      throw new EngineException(EngineException.Kind.NOT_FOUND, "get " + name + ": no such volume");
    }
    List<String> u = users.apply(name);
    if (!u.isEmpty()) throw EngineException.conflict("remove " + name + ": volume is in use - [" + String.join(", ", u) + "]");
    Path d = dir.resolve(name);
    if (!v.options().isEmpty()) {
      unmountQuietly(name);
      if (mountedNow(data(name).toString())) throw EngineException.system("remove " + name + ": its mount on " + data(name) + " cannot be undone");
    }
    Path trash = dir.resolve(".removing-" + name + "-" + newName().substring(0, 8));
    try {
      Files.move(d, trash, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw EngineException.system("remove " + name + ": " + e.getMessage());
    }
    byName.remove(name);
    deleteTree(trash);
    events.publish("volume", "destroy", name, Map.of("driver", "local"));
  }

  public record Pruned(List<String> names, long bytes) {}

  /**
   * POST /volumes/prune: the unused volumes that are anonymous ({@code all}: every unused one) and
   * match the label filters ({@code key}, {@code key=value}; {@code label!} excludes).
   */
  public Pruned prune(boolean all, List<String> labels, List<String> notLabels) {
    List<String> names = new ArrayList<>();
    long bytes = 0;
    for (Volume v : list()) {
      if (!all && !v.anonymous()) continue;
      if (!labelsMatch(v.labels(), labels)) continue;
      if (notLabels != null && !notLabels.isEmpty() && labelsMatch(v.labels(), notLabels)) continue;
      if (!users.apply(v.name()).isEmpty()) continue;
      long size = size(v.name());
      try {
        remove(v.name(), false);
      } catch (EngineException e) {
        continue; // taken meanwhile
      }
      names.add(v.name());
      bytes += Math.max(0, size);
    }
    return new Pruned(names, bytes);
  }

  /** Every {@code key} or {@code key=value} of {@code wanted} among {@code labels} (null or empty: true). */
  public static boolean labelsMatch(Map<String, String> labels, List<String> wanted) {
    if (wanted == null) return true;
    for (String w : wanted) {
      int eq = w.indexOf('=');
      if (eq < 0 ? !labels.containsKey(w) : !w.substring(eq + 1).equals(labels.get(w.substring(0, eq)))) return false;
    }
    return true;
  }

  /** Bytes of the files in the volume (dockerd's directory disk usage), -1 if unreadable. */
  public long size(String name) {
    long[] total = {0};
    try {
      Files.walkFileTree(data(name), new SimpleFileVisitor<>() {
        @Override public FileVisitResult visitFile(Path f, BasicFileAttributes a) {
          if (a.isRegularFile()) total[0] += a.size();
          return FileVisitResult.CONTINUE;
        }

        @Override public FileVisitResult visitFileFailed(Path f, IOException e) { return FileVisitResult.CONTINUE; }
      });
      return total[0];
    } catch (IOException e) {
      return -1;
    }
  }

  // ---- the API's shape ---------------------------------------------------------------------

  /** Docker's Volume object (list and inspect). */
  public ObjectNode json(Volume v) {
    ObjectNode o = M.createObjectNode();
    o.put("CreatedAt", v.createdAt());
    o.put("Driver", "local");
    ObjectNode l = o.putObject("Labels");
    new TreeMap<>(v.labels()).forEach(l::put);
    o.put("Mountpoint", data(v.name()).toString());
    o.put("Name", v.name());
    ObjectNode op = o.putObject("Options");
    new TreeMap<>(v.options()).forEach(op::put);
    o.put("Scope", "local");
    return o;
  }

  // ---- mounts as containers start and stop -------------------------------------------------

  /**
   * A container starts with the volume at {@code destination}: the volume's own mount (driver
   * options) is made if it is the first user, then the mount event.
   */
  public void mounted(String name, String containerId, String destination, boolean rw, String propagation) {
    Volume v = byName.get(name);
    if (v == null) return;
    if (!v.options().isEmpty()) {
      synchronized (this) {
        mountOptions(v); // once: a volume already mounted (another user, an earlier berthd) stays as it is
      }
    }
    Map<String, String> a = new TreeMap<>();
    a.put("container", containerId);
    a.put("destination", destination);
    a.put("driver", "local");
    a.put("propagation", propagation);
    a.put("read/write", Boolean.toString(rw));
    events.publish("volume", "mount", name, a);
  }

  /**
   * The container stopped: the unmount event; the volume's own mount goes unless {@code othersRunning}
   * (running containers use it still — decided from the containers, so it holds across a berthd restart).
   */
  public void unmounted(String name, String containerId, boolean othersRunning) {
    Volume v = byName.get(name);
    if (v == null) return;
    if (!v.options().isEmpty() && !othersRunning) {
      synchronized (this) {
        unmountQuietly(name);
      }
    }
    events.publish("volume", "unmount", name, Map.of("container", containerId, "driver", "local"));
  }

  private void mountOptions(Volume v) {
    String target = data(v.name()).toString();
    if (mountedNow(target)) return; // from a berthd before this one
    String type = v.options().getOrDefault("type", ""), device = v.options().get("device"), o = v.options().getOrDefault("o", "");
    List<String> data = new ArrayList<>();
    long flags = 0;
    for (String x : o.split(",")) {
      if (x.isBlank()) continue;
      if (x.equals("bind")) flags |= Linux.MS_BIND;
      else if (x.equals("rbind")) flags |= Linux.MS_BIND | Linux.MS_REC;
      else data.add(x);
    }
    try {
      if ((flags & Linux.MS_BIND) != 0) {
        sys.mount(device, target, null, flags, null);
      } else {
        sys.mount(device, target, type.isEmpty() || type.equals("none") ? null : type, 0, data.isEmpty() ? null : String.join(",", data));
      }
    } catch (RuntimeException e) {
      throw EngineException.system("error while mounting volume '" + target + "': " + e.getMessage());
    }
  }

  private void unmountQuietly(String name) {
    String target = data(name).toString();
    if (!mountedNow(target)) return;
    try {
      sys.umount2(target, Linux.MNT_DETACH);
    } catch (RuntimeException e) {
      log.println("berthd: cannot unmount volume " + name + ": " + e.getMessage());
    }
  }

  static boolean mountedNow(String target) {
    try {
      for (String l : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
        String[] f = l.split(" ");
        if (f.length > 4 && f[4].equals(target)) return true;
      }
    } catch (IOException e) {
      // unknown: treated as not mounted
    }
    return false;
  }

  static void deleteTree(Path p) {
    if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return;
    try (var s = Files.walk(p)) {
      for (Path x : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
    } catch (IOException e) {
      log.println("berthd: cannot remove " + p + ": " + e.getMessage());
    }
  }
}
