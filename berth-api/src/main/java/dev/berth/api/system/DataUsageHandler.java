package dev.berth.api.system;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.api.http.ApiException;
import dev.berth.api.http.ApiRequest;
import dev.berth.api.http.Json;
import dev.berth.api.http.ResourceHandler;
import dev.berth.api.http.Responses;
import dev.berth.engine.containers.Container;
import dev.berth.engine.containers.ContainerEngine;
import dev.berth.engine.images.ImageService;
import dev.berth.engine.volumes.VolumeService;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code GET /system/df} (moby's SystemDataUsageResponse): LayersSize (each layer once), Images
 * (ImageSummary with Containers and SharedSize: the bytes of its layers another image has too),
 * Containers (summaries with SizeRw — the bytes in the container's overlay upper directory — and
 * SizeRootFs, SizeRw plus its image's size), Volumes (with UsageData Size and RefCount),
 * BuildCache (berthd has no builder: empty). {@code type} (API 1.42+) limits it to some of them.
 */
public final class DataUsageHandler extends ResourceHandler {
  private final ImageService images;
  private final ContainerEngine engine;

  public DataUsageHandler(ImageService images, ContainerEngine engine) {
    this.images = images;
    this.engine = engine;
  }

  @Override
  protected boolean handle(ChannelHandlerContext ctx, ApiRequest req) {
    if (!req.isGet("/system/df")) return false;
    Set<String> types = new HashSet<>(req.params("type"));
    for (String t : types) {
      if (!Set.of("container", "image", "volume", "build-cache").contains(t)) throw ApiException.badRequest("unknown object type: " + t);
    }
    boolean all = types.isEmpty();
    ObjectNode r = Json.object();
    List<Container> containers = engine.list();
    Map<String, Integer> perImage = new HashMap<>();
    for (Container c : containers) perImage.merge(c.image(), 1, Integer::sum);
    Map<String, Long> imageSize = new HashMap<>();
    if (all || types.contains("image") || types.contains("container")) {
      List<ImageService.Layers> layers = images.layers();
      Map<String, Integer> uses = new HashMap<>();
      Map<String, Long> sizes = new HashMap<>();
      for (ImageService.Layers l : layers) {
        l.sizes().forEach((d, s) -> {
          uses.merge(d, 1, Integer::sum);
          sizes.put(d, s);
        });
      }
      long total = 0;
      for (long s : sizes.values()) total += s;
      ArrayNode list = images.list(Map.of());
      Map<String, Long> shared = new HashMap<>();
      for (ImageService.Layers l : layers) {
        long sh = 0;
        for (var e : l.sizes().entrySet()) if (uses.get(e.getKey()) > 1) sh += e.getValue();
        shared.put(l.id(), sh);
      }
      for (JsonNode i : list) {
        ObjectNode o = (ObjectNode) i;
        String id = o.path("Id").asText();
        imageSize.put(id, o.path("Size").asLong());
        o.put("Containers", perImage.getOrDefault(id, 0));
        o.put("SharedSize", shared.getOrDefault(id, 0L));
      }
      if (all || types.contains("image")) {
        r.put("LayersSize", total);
        r.set("Images", list);
      }
    }
    if (all || types.contains("container")) {
      ArrayNode cs = r.putArray("Containers");
      for (Container c : containers) {
        ObjectNode s;
        try {
          s = engine.summary(c);
        } catch (RuntimeException e) {
          continue; // removed meanwhile
        }
        long rw = sizeRw(c);
        s.put("SizeRw", rw);
        s.put("SizeRootFs", rw + imageSize.getOrDefault(c.image(), 0L));
        cs.add(s);
      }
    }
    if (all || types.contains("volume")) {
      ArrayNode vs = r.putArray("Volumes");
      VolumeService v = engine.volumes().service();
      for (VolumeService.Volume vol : v.list()) {
        ObjectNode o = v.json(vol);
        ObjectNode u = o.putObject("UsageData");
        u.put("Size", v.size(vol.name()));
        u.put("RefCount", v.usedBy(vol.name()).size());
        vs.add(o);
      }
    }
    if (all || types.contains("build-cache")) r.putArray("BuildCache");
    Responses.sendChunked(ctx, req, HttpResponseStatus.OK, Responses.JSON, Responses.jsonBytes(r));
    return true;
  }

  /** Bytes of the regular files in the container's overlay upper directory. */
  private long sizeRw(Container c) {
    Path upper;
    try {
      upper = engine.snapshotRoot(c.id).resolveSibling("upper");
    } catch (RuntimeException e) {
      return 0;
    }
    long[] total = {0};
    try {
      Files.walkFileTree(upper, new SimpleFileVisitor<>() {
        @Override public FileVisitResult visitFile(Path f, BasicFileAttributes a) {
          if (a.isRegularFile()) total[0] += a.size();
          return FileVisitResult.CONTINUE;
        }

        @Override public FileVisitResult visitFileFailed(Path f, IOException e) { return FileVisitResult.CONTINUE; }
      });
    } catch (IOException e) {
      return 0;
    }
    return total[0];
  }
}
