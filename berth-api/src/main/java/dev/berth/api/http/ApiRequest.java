package dev.berth.api.http;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.List;
import java.util.Map;

/**
 * One API call as the resource handlers see it: the path without its {@code /vX.Y} prefix, the
 * version it asked for (the current one without a prefix), the decoded query, the headers and the
 * whole body — or, for the few requests whose bodies are streamed ({@link StreamedBodies}: image
 * load and import), an empty {@code body} and the body as {@code stream}, read while it arrives.
 *
 * @param keepAlive whether the connection stays open after the response (HTTP/1.1 default)
 * @param stream the body of a streamed request (null otherwise); the handler reads it on its
 *        thread; {@link ResourceHandler} closes it when the handler returns (the rest is discarded)
 */
public record ApiRequest(HttpMethod method, String path, String version, Map<String, List<String>> query,
        HttpHeaders headers, byte[] body, boolean keepAlive, InputStream stream) {

    public ApiRequest(HttpMethod method, String path, String version, Map<String, List<String>> query,
            HttpHeaders headers, byte[] body, boolean keepAlive) {
        this(method, path, version, query, headers, body, keepAlive, null);
    }

    /** The body as a stream: the streamed one, or the aggregated bytes. */
    public InputStream bodyStream() { return stream != null ? stream : new ByteArrayInputStream(body); }

    /** Every value of a query parameter (empty if absent). */
    public List<String> params(String name) {
        List<String> v = query.get(name);
        return v == null ? List.of() : v;
    }

    /** The first value of a query parameter, or null. */
    public String param(String name) {
        List<String> v = query.get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    public boolean is(HttpMethod m, String p) { return method.equals(m) && path.equals(p); }

    /** GET, or HEAD (answered as GET without a body). */
    public boolean isGet(String p) { return path.equals(p) && (method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD)); }

    /** True if the API version asked for is at least {@code v}. */
    public boolean atLeast(String v) { return ApiVersion.compare(version, v) >= 0; }

    /**
     * The {@code filters} parameter as Docker clients send it: {@code {"name":{"x":true}}} or the
     * older {@code {"name":["x"]}}; empty if absent. Malformed: 400 naming it.
     */
    public Map<String, List<String>> filters() {
        String f = param("filters");
        Map<String, List<String>> out = new java.util.LinkedHashMap<>();
        if (f == null || f.isEmpty()) return out;
        com.fasterxml.jackson.databind.JsonNode n;
        try {
            n = Json.MAPPER.readTree(f);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw ApiException.badRequest("invalid filter: " + e.getOriginalMessage());
        }
        if (n == null || !n.isObject()) throw ApiException.badRequest("invalid filter: must be an object");
        n.properties().forEach(e -> {
            List<String> vals = new java.util.ArrayList<>();
            if (e.getValue().isObject()) e.getValue().fieldNames().forEachRemaining(vals::add);
            else if (e.getValue().isArray()) e.getValue().forEach(x -> vals.add(x.asText()));
            else throw ApiException.badRequest("invalid filter '" + e.getKey() + "'");
            out.put(e.getKey(), vals);
        });
        return out;
    }
}
