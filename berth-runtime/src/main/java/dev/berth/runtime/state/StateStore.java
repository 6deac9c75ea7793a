package dev.berth.runtime.state;

import dev.berth.runtime.ContainerException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The runtime's state root ({@code --root}, default /run/berth): one directory per container
 * holding state.json, the launcher's pid file, the exec fifo and (for monitored containers) the
 * exit status.
 */
public final class StateStore {
  public static final String DEFAULT_ROOT = "/run/berth";
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_+\\-.]{1,1024}");

  private final Path root;

  public StateStore(Path root) {
    this.root = root.toAbsolutePath();
  }

  public Path root() {
    return root;
  }

  public static String checkId(String id) {
    if (id == null || id.isEmpty()) throw ContainerException.invalid("container id is required");
    if (!ID.matcher(id).matches() || id.startsWith(".")) {
      throw ContainerException.invalid("invalid container id \"" + id + "\": use letters, digits, _ + - . (not first)");
    }
    return id;
  }

  public Path dir(String id) {
    return root.resolve(checkId(id));
  }

  public boolean exists(String id) {
    return Files.exists(dir(id), java.nio.file.LinkOption.NOFOLLOW_LINKS);
  }

  /** Creates the container's directory; fails if the id is taken. */
  public Path reserve(String id) {
    Path dir = dir(id);
    try {
      Files.createDirectories(root);
      Files.createDirectory(dir);
      return dir;
    } catch (FileAlreadyExistsException e) {
      throw new ContainerException(ContainerException.Kind.EXISTS, "container \"" + id + "\" already exists");
    } catch (IOException e) {
      throw new ContainerException(ContainerException.Kind.SYSTEM, "cannot create state directory " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * For the cgroup sweep: takes {@code id} the way a create does (the atomic mkdir of its directory)
   * if no container has it, so none can be created with it until the returned hold is closed; null
   * if the id is taken or is not one a container could have.
   */
  public AutoCloseable claim(String id) {
    if (id == null || !ID.matcher(id).matches() || id.startsWith(".")) return null;
    Path dir = root.resolve(id);
    try {
      Files.createDirectory(dir);
    } catch (IOException e) {
      return null; // taken (or the root is unusable: then nothing is swept)
    }
    return () -> Files.deleteIfExists(dir);
  }

  public void save(ContainerRecord record) {
    Path dir = dir(record.id());
    try {
      write(dir, "state.json", record.toJson());
    } catch (IOException e) {
      throw new ContainerException(ContainerException.Kind.SYSTEM, "cannot write the state of " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Writes {@code <dir>/verbs} ({@link VerbsRecord}) whole or not at all. */
  public void saveVerbs(String id, byte[] record) {
    Path dir = dir(id);
    try {
      write(dir, VerbsRecord.FILE, record);
    } catch (IOException e) {
      throw new ContainerException(ContainerException.Kind.SYSTEM, "cannot write " + dir.resolve(VerbsRecord.FILE) + ": " + e.getMessage(), e);
    }
  }

  /** Written whole or not at all (a temporary file renamed over it). */
  private static void write(Path dir, String name, byte[] content) throws IOException {
    Path tmp = dir.resolve("." + name + ".tmp");
    Files.write(tmp, content);
    Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
  }

  /** Writes {@code <dir>/<name>} (creator: see {@link ProcRecord}) whole or not at all. */
  public void saveProcs(String id, String name, List<ProcRecord> procs) {
    Path dir = dir(id);
    try {
      write(dir, name, ProcRecord.encode(procs));
    } catch (IOException e) {
      throw new ContainerException(ContainerException.Kind.SYSTEM, "cannot write " + dir.resolve(name) + ": " + e.getMessage(), e);
    }
  }

  public Container load(String id) {
    Path dir = dir(id);
    try {
      return new Container(ContainerRecord.fromJson(Files.readAllBytes(dir.resolve("state.json"))), dir);
    } catch (NoSuchFileException e) {
      if (Files.isDirectory(dir)) {
        // A create that died before writing its state: report it as stopped so delete can clean up.
        return new Container(new ContainerRecord(id, "", "", "", "", null, "", false, java.util.Map.of()), dir);
      }
      throw ContainerException.notFound(id);
    } catch (IOException | dev.berth.spec.SpecException e) {
      throw new ContainerException(ContainerException.Kind.SYSTEM, "cannot read state of \"" + id + "\": " + e.getMessage(), e);
    }
  }

  public List<String> ids() {
    List<String> ids = new ArrayList<>();
    if (!Files.isDirectory(root)) return ids;
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
      for (Path p : ds) {
        String name = p.getFileName().toString();
        if (Files.isDirectory(p) && ID.matcher(name).matches() && !name.startsWith(".")) ids.add(name);
      }
    } catch (IOException e) {
      throw new ContainerException(ContainerException.Kind.SYSTEM, "cannot list " + root + ": " + e.getMessage(), e);
    }
    ids.sort(Comparator.naturalOrder());
    return ids;
  }

  /**
   * Removes a container's directory and everything in it (never following symlinks). The callers
   * first stop whoever writes there (delete: the creator and the monitor); a file that still
   * appears meanwhile (a writer nobody had recorded yet) is removed on a further pass rather than
   * failing the removal.
   */
  public void remove(String id) {
    Path dir = dir(id);
    for (int pass = 0; ; pass++) {
      try {
        removeTree(dir);
        return;
      } catch (IOException e) {
        if (pass >= 100) {
          throw new ContainerException(ContainerException.Kind.SYSTEM, "cannot remove " + dir + ": " + e.getMessage(), e);
        }
        java.util.concurrent.locks.LockSupport.parkNanos(2_000_000);
      }
    }
  }

  private static void removeTree(Path dir) throws IOException {
    if (!Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      Files.deleteIfExists(dir);
      return;
    }
    List<Path> entries = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) entries.add(p);
    } catch (NoSuchFileException gone) {
      return;
    }
    for (Path p : entries) removeTree(p);
    Files.deleteIfExists(dir);
  }
}
