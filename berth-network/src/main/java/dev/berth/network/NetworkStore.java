package dev.berth.network;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.DeserializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Networks, their address allocations and the engine's endpoint records under
 * {@code <root>/network}, each one JSON file written crash-safely (temporary file, fsync, rename,
 * fsync of the directory): {@code networks/<id>.json}, {@code ipam/<id>.json} (address → owner),
 * {@code endpoints/<containerId>.json}. A half-written file can never be read: a crash leaves the
 * old content or the new.
 */
public final class NetworkStore {
  public static final ObjectMapper M = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  private final Path dir;

  public NetworkStore(Path root) {
    this.dir = root.resolve("network");
    try {
      for (String d : List.of("networks", "ipam", "endpoints")) Files.createDirectories(dir.resolve(d));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir + ": " + e.getMessage(), e);
    }
  }

  public Path dir() { return dir; }

  public void save(NetworkConfig n) { write(dir.resolve("networks").resolve(n.id() + ".json"), n); }

  public void delete(String id) {
    try {
      Files.deleteIfExists(dir.resolve("networks").resolve(id + ".json"));
      Files.deleteIfExists(dir.resolve("ipam").resolve(id + ".json"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete network " + id + ": " + e.getMessage(), e);
    }
  }

  /** Every stored network; an unreadable file is reported on stderr and skipped. */
  public List<NetworkConfig> networks() {
    List<NetworkConfig> out = new ArrayList<>();
    try (var ds = Files.newDirectoryStream(dir.resolve("networks"), "*.json")) {
      for (Path f : ds) {
        try {
          out.add(M.readValue(f.toFile(), NetworkConfig.class));
        } catch (IOException e) {
          System.err.println("berthd: cannot read " + f + ": " + e.getMessage());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  public void saveAllocations(String networkId, Map<String, String> byAddress) {
    write(dir.resolve("ipam").resolve(networkId + ".json"), new TreeMap<>(byAddress));
  }

  @SuppressWarnings("unchecked")
  public Map<String, String> allocations(String networkId) {
    try {
      return M.readValue(dir.resolve("ipam").resolve(networkId + ".json").toFile(), TreeMap.class);
    } catch (IOException e) {
      return new TreeMap<>();
    }
  }

  public void saveEndpoints(String containerId, JsonNode doc) { write(dir.resolve("endpoints").resolve(containerId + ".json"), doc); }

  public JsonNode endpoints(String containerId) {
    try {
      return M.readTree(dir.resolve("endpoints").resolve(containerId + ".json").toFile());
    } catch (NoSuchFileException | java.io.FileNotFoundException e) {
      return null;
    } catch (IOException e) {
      System.err.println("berthd: cannot read the endpoints of " + containerId + ": " + e.getMessage());
      return null;
    }
  }

  public List<String> endpointOwners() {
    List<String> out = new ArrayList<>();
    try (var ds = Files.newDirectoryStream(dir.resolve("endpoints"), "*.json")) {
      for (Path f : ds) out.add(f.getFileName().toString().replace(".json", ""));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  public void deleteEndpoints(String containerId) {
    try {
      Files.deleteIfExists(dir.resolve("endpoints").resolve(containerId + ".json"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void write(Path file, Object value) {
    try {
      writeAtomic(file, M.writerWithDefaultPrettyPrinter().writeValueAsBytes(value));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  /** Temporary file, fsync, rename over, fsync the directory. */
  public static void writeAtomic(Path file, byte[] content) throws IOException {
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
}
