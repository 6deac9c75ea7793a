package dev.berth.api.exec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.api.http.ApiException;
import dev.berth.api.http.ApiRequest;
import dev.berth.api.http.Json;
import dev.berth.api.http.ResourceHandler;
import dev.berth.api.http.Responses;
import dev.berth.engine.exec.ExecConfig;
import dev.berth.engine.exec.ExecService;
import dev.berth.engine.containers.EngineException;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Exec group of the Engine API: {@code POST /containers/{id}/exec}, {@code POST
 * /exec/{id}/start} (detached, or a hijacked stream: {@link ExecStream}), {@code POST
 * /exec/{id}/resize}, {@code GET /exec/{id}/json}; shapes of moby's swagger.yaml (ExecConfig,
 * ExecStartConfig, ExecInspectResponse).
 */
public final class ExecHandler extends ResourceHandler {
  private static final Pattern CREATE = Pattern.compile("/containers/([^/]+)/exec");
  private static final Pattern DEBUG = Pattern.compile("/containers/([^/]+)/debug");
  private static final Pattern EXEC = Pattern.compile("/exec/([^/]+)/(start|resize|json)");

  private final ExecService exec;
  private final java.util.function.BiFunction<String, String, ExecService.DebugRoot> debugRoots;

  public ExecHandler(ExecService exec) {
    this(exec, null);
  }

  /** @param debugRoots (container id, tools image) to a debug root; null: no debug endpoint */
  public ExecHandler(ExecService exec, java.util.function.BiFunction<String, String, ExecService.DebugRoot> debugRoots) {
    this.exec = exec;
    this.debugRoots = debugRoots;
  }

  @Override
  protected boolean handle(ChannelHandlerContext ctx, ApiRequest req) {
    Matcher m = CREATE.matcher(req.path());
    if (m.matches() && req.method().equals(HttpMethod.POST)) {
      create(ctx, req, m.group(1));
      return true;
    }
    m = DEBUG.matcher(req.path());
    if (debugRoots != null && m.matches() && req.method().equals(HttpMethod.POST)) {
      debug(ctx, req, m.group(1));
      return true;
    }
    m = EXEC.matcher(req.path());
    if (!m.matches()) return false;
    String id = m.group(1);
    try {
      switch (m.group(2)) {
        case "start" -> {
          if (!req.method().equals(HttpMethod.POST)) return false;
          start(ctx, req, id);
        }
        case "resize" -> {
          if (!req.method().equals(HttpMethod.POST)) return false;
          exec.resize(id, size(req, "h"), size(req, "w"));
          Responses.send(ctx, req, HttpResponseStatus.OK, Responses.TEXT, new byte[0], null);
        }
        default -> {
          if (!req.isGet(req.path())) return false;
          Responses.json(ctx, req, HttpResponseStatus.OK, inspect(exec.inspect(id)));
        }
      }
    } catch (RuntimeException e) {
      throw status(ExecService.failure(e));
    }
    return true;
  }

  private void create(ChannelHandlerContext ctx, ApiRequest req, String ref) {
    JsonNode body = body(req);
    dev.berth.api.http.DetachKeys.of(text(body, "DetachKeys"), "escape"); // dockerd: 400 Invalid escape keys (x) provided
    ExecService.CreateRequest r = new ExecService.CreateRequest(strings(body, "Cmd"), strings(body, "Env"),
        text(body, "User"), text(body, "WorkingDir"), bool(body, "Tty"), bool(body, "Privileged"),
        bool(body, "AttachStdin"), bool(body, "AttachStdout"), bool(body, "AttachStderr"), text(body, "DetachKeys"),
        consoleSize(body, 0), consoleSize(body, 1));
    String id;
    try {
      id = exec.create(ref, r);
    } catch (RuntimeException e) {
      throw status(ExecService.failure(e));
    }
    Responses.json(ctx, req, HttpResponseStatus.CREATED, Json.object().put("Id", id));
  }

  /**
   * berth's {@code POST /containers/{id}/debug} (issue 13): body {@code {"Image": "busybox",
   * "Cmd": [...], "Tty": bool, "Env": [...], "AttachStdin": bool, "AttachStdout": bool (default
   * true), "AttachStderr": bool (default true), "DetachKeys", "ConsoleSize"}}; 201 {@code {"Id"}},
   * an exec instance started with {@code POST /exec/{id}/start} (attached only).
   */
  private void debug(ChannelHandlerContext ctx, ApiRequest req, String ref) {
    JsonNode body = body(req);
    dev.berth.api.http.DetachKeys.of(text(body, "DetachKeys"), "escape");
    String image = text(body, "Image");
    ExecService.CreateRequest r = new ExecService.CreateRequest(strings(body, "Cmd"), strings(body, "Env"),
        null, null, bool(body, "Tty"), false, bool(body, "AttachStdin"),
        body.has("AttachStdout") ? bool(body, "AttachStdout") : true,
        body.has("AttachStderr") ? bool(body, "AttachStderr") : true, text(body, "DetachKeys"),
        consoleSize(body, 0), consoleSize(body, 1));
    String id;
    try {
      id = exec.createDebug(ref, r, cid -> debugRoots.apply(cid, image));
    } catch (RuntimeException e) {
      throw status(ExecService.failure(e));
    }
    Responses.json(ctx, req, HttpResponseStatus.CREATED, Json.object().put("Id", id));
  }

  private void start(ChannelHandlerContext ctx, ApiRequest req, String id) {
    JsonNode body = body(req);
    boolean detach = bool(body, "Detach");
    if (detach) {
      ExecService.Started s = exec.start(id, true, null, null);
      if (s.failure() != null) throw ApiException.internal("OCI runtime exec failed: " + s.failure().replaceFirst("^berth-runc: ", ""));
      Responses.send(ctx, req, HttpResponseStatus.OK, Responses.TEXT, new byte[0], null);
      return;
    }
    exec.checkStartable(id); // errors as plain HTTP answers, before the stream
    boolean tty = exec.inspect(id).processConfig().tty();
    String keys = exec.inspect(id).detachKeys();
    ExecStream.run(ctx, req, tty, dev.berth.api.http.DetachKeys.of(keys, "escape"), (out, err) -> exec.start(id, false, out, err));
  }

  static ObjectNode inspect(ExecConfig c) {
    ObjectNode o = Json.object();
    o.put("CanRemove", c.canRemove());
    o.put("ContainerID", c.containerId());
    o.put("DetachKeys", c.detachKeys());
    if (c.exitCode() == null) o.putNull("ExitCode");
    else o.put("ExitCode", c.exitCode());
    o.put("ID", c.id());
    o.put("OpenStderr", c.openStderr());
    o.put("OpenStdin", c.openStdin());
    o.put("OpenStdout", c.openStdout());
    ObjectNode p = o.putObject("ProcessConfig");
    var args = p.putArray("arguments");
    c.processConfig().arguments().forEach(args::add);
    p.put("entrypoint", c.processConfig().entrypoint());
    p.put("privileged", c.processConfig().privileged());
    p.put("tty", c.processConfig().tty());
    p.put("user", c.processConfig().user());
    o.put("Running", c.running());
    o.put("Pid", c.pid());
    return o;
  }

  static ApiException status(EngineException e) {
    return switch (e.kind()) {
      case NOT_FOUND -> ApiException.notFound(e.getMessage());
      case CONFLICT -> ApiException.conflict(e.getMessage());
      case INVALID -> ApiException.badRequest(e.getMessage());
      case NOT_MODIFIED, SYSTEM -> ApiException.internal(e.getMessage());
    };
  }

  private static int size(ApiRequest req, String name) {
    String v = req.param(name);
    if (v == null || v.isEmpty()) return 0;
    try {
      int n = Integer.parseInt(v);
      if (n < 0 || n > 65535) throw new NumberFormatException();
      return n;
    } catch (NumberFormatException e) {
      throw ApiException.badRequest("invalid resize " + (name.equals("h") ? "height" : "width") + " " + v
          + ": must be an integer from 0 to 65535");
    }
  }

  private static JsonNode body(ApiRequest req) {
    if (req.body() == null || req.body().length == 0) return Json.object();
    try {
      JsonNode n = Json.MAPPER.readTree(req.body());
      if (n == null || n.isNull()) return Json.object();
      if (!n.isObject()) throw ApiException.badRequest("the request body must be a JSON object");
      return n;
    } catch (IOException e) {
      throw ApiException.badRequest("invalid JSON in the request body: " + e.getMessage().lines().findFirst().orElse(""));
    }
  }

  private static boolean bool(JsonNode body, String f) {
    JsonNode v = body.get(f);
    if (v == null || v.isNull()) return false;
    if (!v.isBoolean()) throw ApiException.badRequest("field " + f + ": expected a boolean, got " + v);
    return v.booleanValue();
  }

  private static String text(JsonNode body, String f) {
    JsonNode v = body.get(f);
    if (v == null || v.isNull()) return null;
    if (!v.isTextual()) throw ApiException.badRequest("field " + f + ": expected a string, got " + v);
    return v.textValue();
  }

  private static List<String> strings(JsonNode body, String f) {
    JsonNode v = body.get(f);
    if (v == null || v.isNull()) return null;
    if (v.isTextual()) return List.of(v.textValue());
    if (!v.isArray()) throw ApiException.badRequest("field " + f + ": expected an array of strings, got " + v);
    List<String> out = new ArrayList<>();
    for (JsonNode e : v) {
      if (!e.isTextual()) throw ApiException.badRequest("field " + f + ": expected an array of strings, got " + v);
      out.add(e.textValue());
    }
    return out;
  }

  private static int consoleSize(JsonNode body, int i) {
    JsonNode v = body.get("ConsoleSize");
    if (v == null || v.isNull()) return 0;
    if (!v.isArray() || v.size() != 2 || !v.get(i).canConvertToInt() || v.get(i).intValue() < 0) {
      throw ApiException.badRequest("field ConsoleSize: expected [height, width], got " + v);
    }
    return v.get(i).intValue();
  }
}
