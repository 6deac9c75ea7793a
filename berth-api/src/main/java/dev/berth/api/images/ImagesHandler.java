package dev.berth.api.images;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.api.http.ApiException;
import dev.berth.api.http.ApiRequest;
import dev.berth.api.http.Json;
import dev.berth.api.http.ResourceHandler;
import dev.berth.api.http.ResponseStream;
import dev.berth.api.http.Responses;
import dev.berth.engine.images.ImageError;
import dev.berth.engine.images.ImageService;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.ImageReference;
import dev.berth.image.api.Platform;
import dev.berth.image.registry.Credentials;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Image group of the Engine API 1.50 over {@link ImageService}:
 * <pre>
 * GET    /images/json                 ImageSummary[] (filters: dangling, reference, label, before, since, until)
 * GET    /images/{name}/json          ImageInspect
 * GET    /images/{name}/history       HistoryResponseItem[]
 * POST   /images/{name}/tag           ?repo=&amp;tag=   201
 * DELETE /images/{name}               ?force=&amp;noprune=   ImageDeleteResponseItem[]
 * POST   /images/prune                ?filters=   ImagePruneResponse
 * POST   /images/load                 body: a docker-save / OCI archive, streamed; {"stream":"Loaded image: ..."} lines
 * GET    /images/get?names=..         GET /images/{name}/get: a docker-save archive (application/x-tar)
 * POST   /images/create               ?fromImage=&amp;tag=&amp;platform= (pull) or ?fromSrc=-&amp;repo=&amp;tag=&amp;changes= (import, body streamed)
 * POST   /images/{name}/push          ?tag=   X-Registry-Auth
 * </pre>
 * Names may contain slashes ({@code 127.0.0.1:5000/a/b:t}): the suffix after the name selects the
 * operation, as dockerd's {@code {name:.*}} routes. Streams are newline-delimited JSON flushed as
 * they happen; a failure after the first line is Docker's {@code errorDetail} line.
 */
public final class ImagesHandler extends ResourceHandler {
    private static final String PREFIX = "/images/";

    private final ImageService images;

    public ImagesHandler(ImageService images) { this.images = images; }

    @Override
    protected boolean handle(ChannelHandlerContext ctx, ApiRequest req) throws Exception {
        if (images == null || !req.path().startsWith(PREFIX)) return false;
        String rest = req.path().substring(PREFIX.length());
        HttpMethod m = req.method();
        boolean get = m.equals(HttpMethod.GET) || m.equals(HttpMethod.HEAD), post = m.equals(HttpMethod.POST);
        try {
            if (get && rest.equals("json")) {
                Responses.json(ctx, req, HttpResponseStatus.OK, images.list(filters(req)));
            } else if (post && rest.equals("load")) {
                load(ctx, req);
            } else if (get && rest.equals("get")) {
                save(ctx, req, req.params("names"));
            } else if (post && rest.equals("create")) {
                if (req.param("fromSrc") != null) importImage(ctx, req);
                else pull(ctx, req);
            } else if (post && rest.equals("prune")) {
                Responses.json(ctx, req, HttpResponseStatus.OK, images.prune(filters(req)));
            } else if (get && rest.endsWith("/json") && rest.length() > 5) {
                Responses.json(ctx, req, HttpResponseStatus.OK, images.inspect(name(rest, "/json")));
            } else if (get && rest.endsWith("/history") && rest.length() > 8) {
                Responses.json(ctx, req, HttpResponseStatus.OK, images.history(name(rest, "/history")));
            } else if (get && rest.endsWith("/get") && rest.length() > 4) {
                save(ctx, req, List.of(name(rest, "/get")));
            } else if (post && rest.endsWith("/tag") && rest.length() > 4) {
                images.tag(name(rest, "/tag"), req.param("repo"), req.param("tag"));
                Responses.send(ctx, req, HttpResponseStatus.CREATED, Responses.TEXT, new byte[0], null);
            } else if (post && rest.endsWith("/push") && rest.length() > 5) {
                push(ctx, req, name(rest, "/push"));
            } else if (m.equals(HttpMethod.DELETE) && !rest.isEmpty()) {
                Responses.json(ctx, req, HttpResponseStatus.OK, images.remove(rest, bool(req, "force"), bool(req, "noprune")));
            } else {
                return false;
            }
        } catch (ImageError e) {
            throw toApi(e);
        }
        return true;
    }

    static ApiException toApi(ImageError e) {
        HttpResponseStatus s = switch (e.kind()) {
            case INVALID -> HttpResponseStatus.BAD_REQUEST;
            case NOT_FOUND -> HttpResponseStatus.NOT_FOUND;
            case CONFLICT -> HttpResponseStatus.CONFLICT;
            case INTERNAL -> HttpResponseStatus.INTERNAL_SERVER_ERROR;
        };
        return new ApiException(s, e.getMessage());
    }

    private static String name(String rest, String suffix) {
        return rest.substring(0, rest.length() - suffix.length());
    }

    /** Go's strconv.ParseBool, as dockerd reads boolean query parameters (absent or empty: false). */
    static boolean bool(ApiRequest req, String name) {
        String v = req.param(name);
        if (v == null || v.isEmpty()) return false;
        return switch (v) {
            case "1", "t", "T", "true", "TRUE", "True" -> true;
            case "0", "f", "F", "false", "FALSE", "False" -> false;
            default -> throw ApiException.badRequest("invalid value for " + name + ": " + v);
        };
    }

    /**
     * The {@code filters} parameter: JSON {@code {"key":{"value":true}}} (what current clients send)
     * or {@code {"key":["value"]}} (older ones); the legacy {@code filter} parameter is a reference.
     */
    static Map<String, List<String>> filters(ApiRequest req) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        String f = req.param("filters");
        if (f != null && !f.isBlank()) {
            JsonNode j;
            try {
                j = Json.MAPPER.readTree(f);
            } catch (IOException e) {
                throw ApiException.badRequest("invalid filters: " + f);
            }
            if (j == null || !j.isObject()) throw ApiException.badRequest("invalid filters: " + f);
            for (var e : j.properties()) {
                List<String> values = new ArrayList<>();
                JsonNode v = e.getValue();
                if (v.isObject()) {
                    for (var x : v.properties()) if (x.getValue().asBoolean(false)) values.add(x.getKey());
                } else if (v.isArray()) {
                    for (JsonNode x : v) values.add(x.asText());
                } else {
                    throw ApiException.badRequest("invalid filters: " + f);
                }
                out.put(e.getKey(), values);
            }
        }
        String legacy = req.param("filter");
        if (legacy != null && !legacy.isEmpty()) out.computeIfAbsent("reference", k -> new ArrayList<>()).add(legacy);
        return out;
    }

    private static Platform platform(ApiRequest req) {
        String p = req.param("platform");
        if (p == null || p.isBlank()) return null;
        try {
            if (p.startsWith("{")) { // API 1.48+: an OCI platform as JSON
                JsonNode j = Json.MAPPER.readTree(p);
                return new Platform(j.path("os").asText("linux"), j.path("architecture").asText(), j.path("variant").asText(null));
            }
            return Platform.parse(p);
        } catch (IOException | ImageException e) {
            throw ApiException.badRequest("invalid platform: " + p);
        }
    }

    // ---- streams -------------------------------------------------------------------------

    private void load(ChannelHandlerContext ctx, ApiRequest req) throws IOException {
        List<String> loaded;
        try (InputStream in = req.bodyStream()) {
            loaded = images.load(in);
        }
        ResponseStream out = new ResponseStream(ctx, req, Responses.JSON);
        for (String l : loaded) out.line(Json.object().put("stream", l + "\n").toString());
        out.end();
    }

    private void save(ChannelHandlerContext ctx, ApiRequest req, List<String> names) throws IOException {
        images.checkExist(names);
        ResponseStream out = new ResponseStream(ctx, req, "application/x-tar");
        try (OutputStream body = out.body()) {
            images.save(names, body);
        } catch (ImageError | UncheckedIOException e) {
            if (!out.started()) throw e;
            // the tar is cut short: the client sees a truncated body, never a complete-looking one
            log("GET /images/get: " + e.getMessage());
            ctx.channel().close();
            return;
        }
        out.end();
    }

    private void pull(ChannelHandlerContext ctx, ApiRequest req) throws IOException {
        ImageReference ref = ImageService.pullReference(req.param("fromImage"), req.param("tag"));
        Platform platform = platform(req);
        Credentials auth = ImageService.credentials(req.headers().get("X-Registry-Auth"));
        ResponseStream out = new ResponseStream(ctx, req, Responses.JSON);
        try {
            images.pull(ref, platform, auth, out::lineUnchecked);
        } catch (ImageError e) {
            if (!out.started()) throw e;
            out.fail(e.getMessage());
            return;
        }
        out.end();
    }

    private void push(ChannelHandlerContext ctx, ApiRequest req, String name) throws IOException {
        var sources = images.pushSources(name, req.param("tag"));
        Credentials auth = ImageService.credentials(req.headers().get("X-Registry-Auth"));
        ResponseStream out = new ResponseStream(ctx, req, Responses.JSON);
        try {
            images.push(sources, auth, out::lineUnchecked);
        } catch (ImageError e) {
            if (!out.started()) throw e;
            out.fail(e.getMessage());
            return;
        }
        out.end();
    }

    private void importImage(ChannelHandlerContext ctx, ApiRequest req) throws IOException {
        String src = req.param("fromSrc");
        if (!src.equals("-"))
            throw ApiException.badRequest("importing from a URL (fromSrc=" + src + ") is not supported by berthd: send the tarball as the body (fromSrc=-)");
        String id;
        try (InputStream in = req.bodyStream()) {
            id = images.importImage(in, req.param("repo"), req.param("tag"), req.params("changes"), platform(req));
        }
        ResponseStream out = new ResponseStream(ctx, req, Responses.JSON);
        ObjectNode status = Json.object().put("status", id);
        out.line(status.toString());
        out.end();
    }

    private static void log(String line) { System.err.println("berthd: " + line); }
}
