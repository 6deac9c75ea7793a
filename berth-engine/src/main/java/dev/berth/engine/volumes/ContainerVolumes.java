package dev.berth.engine.volumes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.engine.containers.Container;
import dev.berth.engine.containers.EngineException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The volumes of containers, as dockerd's: at create, {@code -v name:/path} and
 * {@code --mount type=volume,source=name} create the volume when it does not exist;
 * {@code --mount type=volume} without a source, {@code -v /path} (Config.Volumes) and the image's
 * VOLUMEs not covered by another mount get a new anonymous volume each (recorded in the
 * container's HostConfig.Mounts as type volume with its generated name, so every later start, an
 * inspect and a restart of berthd see it); a volume that is empty when the container is created
 * gets the image's content at that path (unless {@code nocopy}). Starts and stops publish mount
 * and unmount; {@code docker rm -v} and {@code --rm} remove the anonymous ones.
 */
public final class ContainerVolumes {
  private final VolumeService volumes;
  private final Supplier<List<Container>> containers;

  public ContainerVolumes(VolumeService volumes, Supplier<List<Container>> containers) {
    this.volumes = volumes;
    this.containers = containers;
    volumes.users(this::users);
  }

  public VolumeService service() { return volumes; }

  /** A volume mount of a container: the volume's name, where, read-write, whether the image's content is copied. */
  record Use(String name, String target, boolean rw, boolean copy) {}

  private static List<Use> uses(JsonNode hc) {
    List<Use> out = new ArrayList<>();
    for (JsonNode b : hc.path("Binds")) {
      String[] f = b.asText().split(":", -1);
      if (f.length < 2 || f[0].isEmpty() || f[0].startsWith("/")) continue;
      String opts = f.length > 2 ? f[2] : "";
      Set<String> o = Set.of(opts.split(","));
      out.add(new Use(f[0], Path.of(f[1]).normalize().toString(), !o.contains("ro"), !o.contains("nocopy")));
    }
    for (JsonNode m : hc.path("Mounts")) {
      if (!"volume".equals(m.path("Type").asText())) continue;
      out.add(new Use(m.path("Source").asText(""), m.path("Target").asText(""), !m.path("ReadOnly").asBoolean(false),
          !m.path("VolumeOptions").path("NoCopy").asBoolean(false)));
    }
    return out;
  }

  /**
   * Before anything is made: names the anonymous volumes (a Mounts entry of type volume without a
   * source gets one; each path of Config.Volumes and the image's Volumes no other mount covers is
   * added to HostConfig.Mounts with one). Nothing is created on disk here.
   */
  public void plan(ObjectNode config, ObjectNode hc, JsonNode imageConfig) {
    Set<String> covered = new LinkedHashSet<>();
    for (JsonNode b : hc.path("Binds")) {
      String[] f = b.asText().split(":", -1);
      if (f.length >= 2 && f[1].startsWith("/")) covered.add(Path.of(f[1]).normalize().toString());
    }
    ArrayNode mounts = hc.path("Mounts").isArray() ? (ArrayNode) hc.get("Mounts") : null;
    if (mounts != null) {
      for (JsonNode m : mounts) {
        if (m.isObject() && "volume".equals(m.path("Type").asText()) && m.path("Source").asText("").isEmpty()) {
          ((ObjectNode) m).put("Source", volumes.newName());
          ObjectNode labels = m.path("VolumeOptions").path("Labels").isObject() ? (ObjectNode) m.get("VolumeOptions").get("Labels")
              : (ObjectNode) (m.path("VolumeOptions").isObject() ? m.get("VolumeOptions") : ((ObjectNode) m).putObject("VolumeOptions")).withObject("Labels");
          labels.put(VolumeService.ANONYMOUS, "");
        }
        String t = m.path("Target").asText("");
        if (t.startsWith("/")) covered.add(Path.of(t).normalize().toString());
      }
    }
    if (hc.path("Tmpfs").isObject()) hc.get("Tmpfs").fieldNames().forEachRemaining(t -> covered.add(Path.of(t).normalize().toString()));
    Set<String> wanted = new LinkedHashSet<>();
    if (imageConfig != null) imageConfig.path("Volumes").fieldNames().forEachRemaining(wanted::add);
    config.path("Volumes").fieldNames().forEachRemaining(wanted::add);
    for (String t : wanted) {
      if (!t.startsWith("/")) throw EngineException.invalid("invalid volume specification: '" + t + "': invalid mount path: '" + t + "' mount path must be absolute");
      String n = Path.of(t).normalize().toString();
      if (!covered.add(n)) continue;
      if (mounts == null) mounts = hc.putArray("Mounts");
      ObjectNode m = mounts.addObject();
      m.put("Type", "volume");
      m.put("Source", volumes.newName());
      m.put("Target", n);
      m.putObject("VolumeOptions").putObject("Labels").put(VolumeService.ANONYMOUS, "");
    }
  }

  /** Creates the volumes of {@code hc} that do not exist yet; returns the names it created (for {@link #undo}). */
  public List<String> create(JsonNode hc) {
    List<String> made = new ArrayList<>();
    try {
      for (JsonNode m : hc.path("Mounts")) {
        if (!"volume".equals(m.path("Type").asText())) continue;
        String name = m.path("Source").asText("");
        Map<String, String> labels = new java.util.TreeMap<>();
        m.path("VolumeOptions").path("Labels").properties().forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
        Map<String, String> opts = new java.util.TreeMap<>();
        m.path("VolumeOptions").path("DriverConfig").path("Options").properties().forEach(e -> opts.put(e.getKey(), e.getValue().asText()));
        if (volumes.create(name, m.path("VolumeOptions").path("DriverConfig").path("Name").asText(""), opts, labels).created()) made.add(name);
      }
      for (Use u : uses(hc)) if (volumes.create(u.name(), "", Map.of(), Map.of()).created()) made.add(u.name());
      return made;
    } catch (RuntimeException e) {
      undo(made);
      throw e;
    }
  }

  /** Removes volumes {@link #create} made, for a create that failed after it. */
  public void undo(List<String> made) {
    for (String n : made) {
      try {
        volumes.remove(n, true);
      } catch (RuntimeException ignored) {
        // best effort: a later prune
      }
    }
  }

  /**
   * The image's content at each volume's path copied into the volume if it is empty (dockerd's
   * copy-up), from {@code rootfs} (the container's fresh snapshot). A path that goes through a
   * symlink in the image is not copied (it could point anywhere on the host).
   */
  public void populate(JsonNode hc, Path rootfs) {
    for (Use u : uses(hc)) {
      if (!u.copy() || !volumes.exists(u.name()) || !volumes.get(u.name()).options().isEmpty()) continue;
      Path data = volumes.data(u.name());
      Path src = rootfs;
      boolean safe = true;
      for (Path part : Path.of(u.target()).normalize()) {
        src = src.resolve(part.toString());
        if (Files.isSymbolicLink(src)) {
          safe = false;
          break;
        }
      }
      if (!safe || !Files.isDirectory(src, LinkOption.NOFOLLOW_LINKS)) continue;
      try (var s = Files.list(data)) {
        if (s.findAny().isPresent()) continue;
        try (var t = Files.list(src)) {
          if (t.findAny().isEmpty()) continue;
        }
        Process p = new ProcessBuilder("cp", "-a", "--", src + "/.", data + "/").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) throw EngineException.system("cannot copy the image's " + u.target() + " into volume " + u.name() + ": " + out.strip());
        Files.setPosixFilePermissions(data, Files.getPosixFilePermissions(src, LinkOption.NOFOLLOW_LINKS));
        Files.setOwner(data, Files.getOwner(src, LinkOption.NOFOLLOW_LINKS));
      } catch (IOException e) {
        throw EngineException.system("cannot copy the image's " + u.target() + " into volume " + u.name() + ": " + e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw EngineException.system("interrupted while copying into volume " + u.name());
      }
    }
  }

  /** The container starts: its volumes are mounted (driver options) and the mount events published. */
  public void started(Container c) {
    for (Use u : uses(c.hostConfig())) volumes.mounted(u.name(), c.id, u.target(), u.rw(), "");
  }

  /** The container stopped: unmount events, a volume with driver options unmounted with its last user. */
  public void stopped(Container c) {
    for (Use u : uses(c.hostConfig())) {
      boolean others = false;
      for (Container o : containers.get()) {
        if (o == c || !o.running()) continue;
        for (Use x : uses(o.hostConfig())) others |= x.name().equals(u.name());
      }
      volumes.unmounted(u.name(), c.id, others);
    }
  }

  /** The anonymous volumes of a container. */
  public List<String> anonymous(Container c) {
    List<String> out = new ArrayList<>();
    for (Use u : uses(c.hostConfig())) {
      if (volumes.exists(u.name()) && volumes.get(u.name()).anonymous()) out.add(u.name());
    }
    return out;
  }

  /** {@code docker rm -v}, {@code --rm}: the container's anonymous volumes go (one still used elsewhere stays). */
  public void removeAnonymous(Container c) {
    for (String n : anonymous(c)) {
      try {
        volumes.remove(n, true);
      } catch (EngineException e) {
        // in use by another container (--volumes-from): kept, as dockerd
      }
    }
  }

  /** The ids of the containers (any state) whose mounts name the volume. */
  List<String> users(String name) {
    List<String> out = new ArrayList<>();
    for (Container c : containers.get()) {
      for (Use u : uses(c.hostConfig())) {
        if (u.name().equals(name)) {
          out.add(c.id);
          break;
        }
      }
    }
    return out;
  }
}
