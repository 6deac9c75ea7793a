package dev.berth.image.registry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.Json;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Answers WWW-Authenticate challenges: {@code Basic} with the configured credentials, or
 * {@code Bearer realm=...,service=...,scope=...}: a token from the realm (with basic credentials
 * when there are some, anonymous otherwise), cached per scope set.
 */
final class Authenticator {
    private static final Pattern PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");

    private final java.util.function.Function<URI, HttpClient> http;
    private final Credentials credentials;
    private final String registry;
    private volatile String scheme;              // "Basic" or "Bearer" once challenged
    private volatile Map<String, String> bearer;  // realm, service
    private final Map<String, String> tokens = new ConcurrentHashMap<>();

    Authenticator(java.util.function.Function<URI, HttpClient> http, Credentials credentials, String registry) {
        this.http = http;
        this.credentials = credentials;
        this.registry = registry;
    }

    /** The Authorization header for a call with these scopes, or null before any challenge. */
    String header(List<String> scopes) {
        if ("Basic".equals(scheme)) return credentials == null ? null : credentials.basic();
        if ("Bearer".equals(scheme)) {
            String t = tokens.get(String.join(" ", scopes));
            return t == null ? null : "Bearer " + t;
        }
        return null;
    }

    /**
     * Handles a 401 to a request sent with Authorization {@code sent} (null: none); returns whether
     * a retry can succeed. Safe with parallel callers: a token another thread already fetched is reused.
     */
    synchronized boolean challenge(String wwwAuthenticate, List<String> scopes, String sent) throws IOException, InterruptedException {
        if (wwwAuthenticate == null) throw new ImageException.Registry(401, registry + ": unauthorized and no WWW-Authenticate challenge", null);
        String h = wwwAuthenticate.trim();
        if (h.regionMatches(true, 0, "Basic", 0, 5)) {
            if (credentials == null)
                throw new ImageException.Registry(401, registry + ": authentication required (no credentials for " + registry + " in docker config.json)", null);
            scheme = "Basic";
            return !credentials.basic().equals(sent);   // sent them already: wrong credentials
        }
        if (h.regionMatches(true, 0, "Bearer", 0, 6)) {
            Map<String, String> p = new LinkedHashMap<>();
            Matcher m = PARAM.matcher(h);
            while (m.find()) p.put(m.group(1).toLowerCase(), m.group(2));
            if (!p.containsKey("realm")) throw new ImageException.Registry(401, registry + ": bearer challenge without realm: " + h, null);
            String key = String.join(" ", scopes);
            String cur = tokens.get(key);
            scheme = "Bearer";
            bearer = p;
            if (cur != null && !("Bearer " + cur).equals(sent)) return true;   // fetched meanwhile
            tokens.put(key, fetchToken(p, scopes));
            return true;
        }
        throw new ImageException.Registry(401, registry + ": unsupported authentication scheme: " + h, null);
    }

    private String fetchToken(Map<String, String> p, List<String> scopes) throws IOException, InterruptedException {
        StringBuilder q = new StringBuilder(p.get("realm"));
        q.append(p.get("realm").contains("?") ? '&' : '?');
        if (p.containsKey("service")) q.append("service=").append(enc(p.get("service")));
        for (String s : scopes) q.append("&scope=").append(enc(s));
        URI u = URI.create(q.toString());
        HttpRequest.Builder b = HttpRequest.newBuilder(u).GET();
        if (credentials != null) b.header("Authorization", credentials.basic());
        HttpResponse<byte[]> r = http.apply(u).send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200)
            throw new ImageException.Registry(r.statusCode(), registry + ": token endpoint " + p.get("realm") + " answered " + r.statusCode()
                    + (credentials == null ? " (no credentials in docker config.json)" : " (credentials refused?)"), null);
        JsonNode j = Json.MAPPER.readTree(r.body());
        String t = j.hasNonNull("token") ? j.get("token").asText() : j.path("access_token").asText(null);
        if (t == null || t.isEmpty()) throw new ImageException.Registry(r.statusCode(), registry + ": token endpoint returned no token", null);
        return t;
    }

    private static String enc(String s) { return URLEncoder.encode(s, StandardCharsets.UTF_8); }
}
