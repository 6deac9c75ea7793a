package dev.berth.runtime.state;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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

  static final ObjectMapper MAPPER = new ObjectMapper();

  public byte[] toJson() {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("id", id).put("bundle", bundle).put("rootfs", rootfs).put("created", created)
        .put("ociVersion", ociVersion).put("cgroupsPath", cgroupsPath).put("owner", owner)
        .put("monitored", monitored);
    ObjectNode a = o.putObject("annotations");
    annotations.forEach(a::put);
    try {
      return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(o);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public static ContainerRecord fromJson(byte[] bytes) throws java.io.IOException {
    JsonNode o = MAPPER.readTree(bytes);
    Map<String, String> ann = new LinkedHashMap<>();
    JsonNode a = o.path("annotations");
    for (var it = a.fields(); it.hasNext(); ) {
      var e = it.next();
      ann.put(e.getKey(), e.getValue().asText());
    }
    return new ContainerRecord(o.path("id").asText(), o.path("bundle").asText(), o.path("rootfs").asText(),
        o.path("created").asText(), o.path("ociVersion").asText(), o.path("cgroupsPath").asText(null),
        o.path("owner").asText(""), o.path("monitored").asBoolean(false), Map.copyOf(ann));
  }
}
