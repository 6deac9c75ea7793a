package dev.berth.runtime.state;

import dev.berth.spec.Json;
import dev.berth.spec.Node;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What berth keeps about a container in {@code <root>/<id>/state.json}: written once by create;
 * the live facts (pid, status) are read from the kernel each time.
 */
public record ContainerRecord(
    String id,
    String bundle,
    String rootfs,
    String created,
    String ociVersion,
    String cgroupsPath,
    String owner,
    boolean monitored,
    Map<String, String> annotations) {

  public byte[] toJson() {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("id", id);
    o.put("bundle", bundle);
    o.put("rootfs", rootfs);
    o.put("created", created);
    o.put("ociVersion", ociVersion);
    o.put("cgroupsPath", cgroupsPath);
    o.put("owner", owner);
    o.put("monitored", monitored);
    o.put("annotations", new LinkedHashMap<>(annotations));
    return Json.pretty(o).getBytes(StandardCharsets.UTF_8);
  }

  public static ContainerRecord fromJson(byte[] bytes) {
    Node o = Node.root(Json.parse(bytes)).requireObject();
    return new ContainerRecord(o.string("id"), o.string("bundle"), o.string("rootfs"), o.string("created"),
        o.string("ociVersion"), o.optString("cgroupsPath"), o.optString("owner") == null ? "" : o.optString("owner"),
        o.optBool("monitored", false), o.stringMap("annotations"));
  }
}
