package dev.berth.engine.containers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.engine.exec.ExecService;
import dev.berth.image.api.Descriptor;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.Manifest;
import dev.berth.runtime.ops.Exec;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The tools images of debug sessions ({@code berth debug}, {@code POST /containers/{id}/debug}):
 * each session's root is an overlay snapshot of the tools image ({@code debug-<random>}, labelled
 * {@code dev.berth.engine=debug}), made when the session starts and removed when it ends; snapshots
 * a killed berthd left are removed when the next one makes this. The container's own root is its
 * snapshot's merged overlay, bound at {@link #MOUNT_AT} in the session.
 */
public final class DebugRoots {
  /** Where the container's root filesystem appears in a debug session. */
  public static final String MOUNT_AT = "/container";
  /** The tools image when none is named. */
  public static final String DEFAULT_IMAGE = "busybox:latest";
  private static final String LABEL = "dev.berth.engine";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final ContainerEngine engine;

  public DebugRoots(ContainerEngine engine) {
    this.engine = engine;
    sweep();
  }

  /** Removes the snapshots of sessions a killed berthd never ended. */
  private void sweep() {
    try {
      for (var ci : engine.images().snapshotter().list()) {
        if ("debug".equals(ci.labels() == null ? null : ci.labels().get(LABEL))) {
          try {
            engine.images().snapshotter().remove(ci.id());
          } catch (RuntimeException e) {
            System.err.println("berthd: cannot remove the debug snapshot " + ci.id() + ": " + e.getMessage());
          }
        }
      }
    } catch (RuntimeException e) {
      System.err.println("berthd: cannot list debug snapshots: " + e.getMessage());
    }
  }

  /**
   * A debug root for container {@code containerRef} from tools image {@code image} (null or empty:
   * {@link #DEFAULT_IMAGE}): the image is checked now (404 {@code No such image: busybox:latest}),
   * its snapshot made only when the session starts.
   */
  public ExecService.DebugRoot root(String containerRef, String image) {
    String ref = image == null || image.isBlank() ? DEFAULT_IMAGE : image;
    String imageId;
    JsonNode config;
    try {
      Descriptor md = engine.images().store().resolve(ref);
      Manifest m = engine.images().store().manifest(md);
      ObjectNode c = engine.images().store().config(m);
      imageId = m.config().digest();
      config = c.path("config");
    } catch (ImageException.NotFound e) {
      throw new EngineException(EngineException.Kind.NOT_FOUND, "No such image: " + ContainerEngine.withTag(ref) + " (the tools image of berth debug)");
    } catch (ImageException.InvalidReference e) {
      throw EngineException.invalid("invalid tools image " + ref + ": " + e.getMessage());
    }
    Container c = engine.get(containerRef);
    List<String> env = new ArrayList<>();
    for (JsonNode e : config.path("Env")) env.add(e.asText());
    if (env.stream().noneMatch(e -> e.startsWith("PATH="))) env.addFirst("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    List<String> cmd = new ArrayList<>();
    for (JsonNode e : config.path("Entrypoint")) cmd.add(e.asText());
    for (JsonNode e : config.path("Cmd")) cmd.add(e.asText());
    if (cmd.isEmpty()) cmd.add("/bin/sh");
    return new Root(c.id, imageId, ref, List.copyOf(env), List.copyOf(cmd));
  }

  private final class Root implements ExecService.DebugRoot {
    private final String containerId;
    private final String imageId;
    private final String image;
    private final List<String> env;
    private final List<String> cmd;
    private String snapshot;

    Root(String containerId, String imageId, String image, List<String> env, List<String> cmd) {
      this.containerId = containerId;
      this.imageId = imageId;
      this.image = image;
      this.env = env;
      this.cmd = cmd;
    }

    @Override
    public String image() {
      return image;
    }

    @Override
    public List<String> env() {
      return env;
    }

    @Override
    public List<String> defaultCmd() {
      return cmd;
    }

    @Override
    public synchronized Exec.Debug prepare() {
      if (snapshot != null) throw new IllegalStateException("debug root prepared twice");
      Path containerRoot = engine.snapshotRoot(containerId);
      byte[] b = new byte[12];
      RANDOM.nextBytes(b);
      String name = "debug-" + HexFormat.of().formatHex(b);
      Path root;
      try {
        root = engine.images().snapshotter().prepare(name, imageId, Map.of(LABEL, "debug", "dev.berth.debug.container", containerId),
            List.of("/proc", "/dev", "/sys", MOUNT_AT));
      } catch (ImageException e) {
        throw EngineException.system("cannot prepare the tools image " + image + ": " + e.getMessage());
      }
      snapshot = name;
      return new Exec.Debug(root, containerRoot, MOUNT_AT);
    }

    @Override
    public synchronized void cleanup() {
      if (snapshot == null) return;
      try {
        engine.images().snapshotter().remove(snapshot);
        snapshot = null;
      } catch (ImageException.NotFound e) {
        snapshot = null;
      } catch (RuntimeException e) {
        System.err.println("berthd: cannot remove the debug snapshot " + snapshot + ": " + e.getMessage());
      }
    }

    @Override
    public synchronized String snapshot() {
      return snapshot;
    }
  }
}
