package dev.berth.api.volumes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.api.http.ApiException;
import dev.berth.api.http.ApiRequest;
import dev.berth.api.http.Json;
import dev.berth.api.http.ResourceHandler;
import dev.berth.api.http.Responses;
import dev.berth.engine.containers.EngineException;
import dev.berth.engine.volumes.ContainerVolumes;
import dev.berth.engine.volumes.VolumeService;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The Volume group of the Engine API 1.50: {@code GET /volumes} (filters dangling, name, label,
 * driver), {@code POST /volumes/create}, {@code GET /volumes/{name}}, {@code DELETE
 * /volumes/{name}} (force; 409 while in use), {@code POST /volumes/prune} (anonymous volumes only
 * unless the filter {@code all=true}, as API 1.42+; label, label!).
 */
public final class VolumesHandler extends ResourceHandler {
  private final ContainerVolumes containerVolumes;
  private final VolumeService volumes;

  public VolumesHandler(ContainerVolumes volumes) {
    this.containerVolumes = volumes;
    this.volumes = volumes.service();
  }

  @Override
  protected boolean handle(ChannelHandlerContext ctx, ApiRequest req) throws Exception {
    String p = req.path();
    if (!p.equals("/volumes") && !p.startsWith("/volumes/")) return false;
    try {
      return route(ctx, req, p);
    } catch (EngineException e) {
      throw switch (e.kind()) {
        case NOT_FOUND -> ApiException.notFound(e.getMessage());
        case CONFLICT -> ApiException.conflict(e.getMessage());
        case INVALID -> ApiException.badRequest(e.getMessage());
        case NOT_MODIFIED -> new ApiException(HttpResponseStatus.NOT_MODIFIED, e.getMessage());
        case SYSTEM -> ApiException.internal(e.getMessage());
      };
    }
  }

  private boolean route(ChannelHandlerContext ctx, ApiRequest req, String p) throws IOException {
    HttpMethod m = req.method();
    boolean get = m.equals(HttpMethod.GET) || m.equals(HttpMethod.HEAD), post = m.equals(HttpMethod.POST);
    if (p.equals("/volumes")) {
      if (!get) return false;
      list(ctx, req);
    } else if (p.equals("/volumes/create")) {
      if (!post) return false;
      create(ctx, req);
    } else if (p.equals("/volumes/prune")) {
      if (!post) return false;
      prune(ctx, req);
    } else {
      String name = p.substring("/volumes/".length());
      if (name.isEmpty() || name.contains("/")) return false;
      if (get) {
        Responses.json(ctx, req, HttpResponseStatus.OK, volumes.json(volumes.get(name)));
      } else if (m.equals(HttpMethod.DELETE)) {
        volumes.remove(name, bool(req.param("force")));
        Responses.send(ctx, req, HttpResponseStatus.NO_CONTENT, Responses.TEXT, new byte[0], null);
      } else if (m.equals(HttpMethod.PUT)) {
        throw ApiException.badRequest("volume update is only supported for cluster volumes");
      } else {
        return false;
      }
    }
    return true;
  }

  private static boolean bool(String v) {
    return v != null && (v.equals("1") || v.equalsIgnoreCase("true"));
  }

  private static Map<String, String> strings(JsonNode n, String field) {
    Map<String, String> out = new TreeMap<>();
    if (n == null || n.isNull() || n.isMissingNode()) return out;
    if (!n.isObject()) throw ApiException.badRequest(field + ": must be an object");
    n.properties().forEach(e -> {
      if (!e.getValue().isTextual()) throw ApiException.badRequest(field + "." + e.getKey() + ": must be a string");
      out.put(e.getKey(), e.getValue().asText());
    });
    return out;
  }

  private void create(ChannelHandlerContext ctx, ApiRequest req) throws IOException {
    JsonNode b;
    try {
      b = req.body().length == 0 ? Json.object() : Json.MAPPER.readTree(req.body());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw ApiException.badRequest("invalid JSON: " + e.getOriginalMessage());
    }
    if (b == null || !b.isObject()) throw ApiException.badRequest("the body must be a JSON object");
    for (String f : new String[] {"Name", "Driver"}) {
      if (b.has(f) && !b.get(f).isTextual() && !b.get(f).isNull()) throw ApiException.badRequest(f + ": must be a string");
    }
    VolumeService.Created c = volumes.create(b.path("Name").asText(""), b.path("Driver").asText(""),
        strings(b.get("DriverOpts"), "DriverOpts"), strings(b.get("Labels"), "Labels"));
    Responses.json(ctx, req, HttpResponseStatus.CREATED, volumes.json(c.volume()));
  }

  private void list(ChannelHandlerContext ctx, ApiRequest req) {
    Map<String, List<String>> f = req.filters();
    for (String k : f.keySet()) {
      if (!Set.of("dangling", "name", "label", "driver").contains(k)) throw ApiException.badRequest("invalid filter '" + k + "'");
    }
    Boolean dangling = null;
    for (String d : f.getOrDefault("dangling", List.of())) {
      if (d.equals("1") || d.equalsIgnoreCase("true")) dangling = true;
      else if (d.equals("0") || d.equalsIgnoreCase("false")) dangling = false;
      else throw ApiException.badRequest("invalid filter 'dangling=" + d + "'");
    }
    ArrayNode out = Json.MAPPER.createArrayNode();
    for (VolumeService.Volume v : volumes.list()) {
      if (dangling != null && volumes.usedBy(v.name()).isEmpty() != dangling) continue;
      List<String> names = f.get("name");
      if (names != null && !names.isEmpty() && names.stream().noneMatch(n -> v.name().contains(n))) continue;
      List<String> drivers = f.get("driver");
      if (drivers != null && !drivers.isEmpty() && !drivers.contains("local")) continue;
      if (!VolumeService.labelsMatch(v.labels(), f.get("label"))) continue;
      out.add(volumes.json(v));
    }
    ObjectNode r = Json.object();
    r.set("Volumes", out);
    r.putArray("Warnings");
    Responses.json(ctx, req, HttpResponseStatus.OK, r);
  }

  private void prune(ChannelHandlerContext ctx, ApiRequest req) {
    Map<String, List<String>> f = req.filters();
    for (String k : f.keySet()) {
      if (!Set.of("label", "label!", "all").contains(k)) throw ApiException.badRequest("invalid filter '" + k + "'");
    }
    boolean all = false;
    for (String a : f.getOrDefault("all", List.of())) {
      if (a.equals("1") || a.equalsIgnoreCase("true")) all = true;
      else if (!a.equals("0") && !a.equalsIgnoreCase("false")) throw ApiException.badRequest("invalid filter 'all=" + a + "'");
    }
    if (!req.atLeast("1.42")) all = true; // before 1.42 prune removed named volumes too
    VolumeService.Pruned p = volumes.prune(all, f.get("label"), f.get("label!"));
    ObjectNode r = Json.object();
    ArrayNode d = r.putArray("VolumesDeleted");
    p.names().forEach(d::add);
    r.put("SpaceReclaimed", p.bytes());
    Responses.json(ctx, req, HttpResponseStatus.OK, r);
  }

  ContainerVolumes containerVolumes() { return containerVolumes; }
}
