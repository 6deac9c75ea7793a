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
 * {@code Bearer realm=...,service=...,scope=...}: a token from the realm, cached per scope set:
 * with an identity token, POSTed as an OAuth2 refresh token ({@code grant_type=refresh_token}, as
 * docker does); else a GET with basic credentials when there are some, anonymous otherwise.
 * Credentials are only looked at (a credential helper only run) once a registry challenges.
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

    private boolean haveCredentials() { return credentials != null && credentials.present(); }

    private String missing() {
        return credentials == null ? "no credentials for " + registry + " in docker config.json"
                : credentials.origin() + " has no credentials for " + registry;
    }

    /** The Authorization header for a call with these scopes, or null before any challenge. */
    String header(List<String> scopes) {
        if ("Basic".equals(scheme)) return haveCredentials() ? credentials.basic() : null;
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
            if (!haveCredentials())
                throw new ImageException.Registry(401, registry + ": authentication required (" + missing() + ")", null);
            if (credentials.basic() == null)
                throw new ImageException.Registry(401, registry + ": asks for a password, but " + credentials.origin()
                        + " gives an identity token, which only token (Bearer) authentication can use", null);
            scheme = "Basic";
            if (credentials.basic().equals(sent))   // sent them already: wrong credentials
                throw new ImageException.Registry(401, registry + ": credentials from " + credentials.origin() + " refused (401)", null);
            return true;
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
        if (haveCredentials() && credentials.identityToken() != null) return fetchOAuthToken(p, scopes);
        StringBuilder q = new StringBuilder(p.get("realm"));
        q.append(p.get("realm").contains("?") ? '&' : '?');
        if (p.containsKey("service")) q.append("service=").append(enc(p.get("service")));
        for (String s : scopes) q.append("&scope=").append(enc(s));
        URI u = URI.create(q.toString());
        HttpRequest.Builder b = HttpRequest.newBuilder(u).GET();
        boolean withCredentials = haveCredentials() && credentials.basic() != null;
        if (withCredentials) b.header("Authorization", credentials.basic());
        HttpResponse<byte[]> r = http.apply(u).send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200)
            throw new ImageException.Registry(r.statusCode(), registry + ": token endpoint " + p.get("realm") + " answered " + r.statusCode()
                    + (withCredentials ? " (credentials from " + credentials.origin() + " refused?)" : " (" + missing() + ")"), null);
        return token(r);
    }

    /** OAuth2 refresh-token grant with the identity token (docker's flow for identity tokens). */
    private String fetchOAuthToken(Map<String, String> p, List<String> scopes) throws IOException, InterruptedException {
        StringBuilder form = new StringBuilder("grant_type=refresh_token&client_id=berth&refresh_token=").append(enc(credentials.identityToken()));
        if (p.containsKey("service")) form.append("&service=").append(enc(p.get("service")));
        if (!scopes.isEmpty()) form.append("&scope=").append(enc(String.join(" ", scopes)));
        URI u = URI.create(p.get("realm"));
        HttpRequest req = HttpRequest.newBuilder(u).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form.toString())).build();
        HttpResponse<byte[]> r = http.apply(u).send(req, HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200)
            throw new ImageException.Registry(r.statusCode(), registry + ": token endpoint " + p.get("realm") + " answered " + r.statusCode()
                    + " to the identity token from " + credentials.origin() + " (expired or revoked?)", null);
        return token(r);
    }

    private String token(HttpResponse<byte[]> r) throws IOException {
        JsonNode j = Json.MAPPER.readTree(r.body());
        String t = j.hasNonNull("token") ? j.get("token").asText() : j.path("access_token").asText(null);
        if (t == null || t.isEmpty()) throw new ImageException.Registry(r.statusCode(), registry + ": token endpoint returned no token", null);
        return t;
    }

    private static String enc(String s) { return URLEncoder.encode(s, StandardCharsets.UTF_8); }
}
