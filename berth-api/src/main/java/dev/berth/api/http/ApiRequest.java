package dev.berth.api.http;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.util.List;
import java.util.Map;

/**
 * One API call as the resource handlers see it: the path without its {@code /vX.Y} prefix, the
 * version it asked for (the current one without a prefix), the decoded query, the headers and the
 * whole body.
 *
 * @param keepAlive whether the connection stays open after the response (HTTP/1.1 default)
 */
public record ApiRequest(HttpMethod method, String path, String version, Map<String, List<String>> query,
        HttpHeaders headers, byte[] body, boolean keepAlive) {

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
}
