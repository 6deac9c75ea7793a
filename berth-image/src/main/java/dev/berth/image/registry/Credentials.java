package dev.berth.image.registry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.ImageReference;
import dev.berth.image.api.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Credentials for one registry from a docker config.json, found as the docker CLI finds them:
 * {@code credHelpers[registry]}, else {@code credsStore}, else {@code auths[registry]} ({@code auth},
 * {@code username}/{@code password}, {@code identitytoken}). A helper is the program
 * {@code docker-credential-NAME} on PATH, run as {@code docker-credential-NAME get} with the server
 * URL on stdin ({@code https://index.docker.io/v1/} for Docker Hub, else host[:port]), printing
 * {@code {"Username":..,"Secret":..}}; the username {@code <token>} means the secret is an identity
 * (OAuth2 refresh) token. A helper runs only when a registry asks for authentication, at most once.
 */
public final class Credentials {
    /** What a helper prints (on stdout, exit 1) when it has nothing for the server. */
    static final String NOT_FOUND = "credentials not found in native keychain";
    static final String HUB_SERVER = "https://index.docker.io/v1/";
    private static final Pattern HELPER_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    private record Value(String username, String password, String identityToken) {}

    private final String origin;
    private final String registry;
    private final String helper;       // null: from the file
    private final String searchPath;
    private volatile Value value;
    private volatile boolean resolved;

    /** No credentials at all (anonymous), whatever a docker config says. */
    public static final Credentials NONE = new Credentials("the client (none sent)", null, null, null, null);

    public Credentials(String username, String password) { this(username, password, null); }

    public Credentials(String username, String password, String identityToken) {
        this.origin = "given credentials";
        this.registry = null;
        this.helper = null;
        this.searchPath = null;
        this.value = new Value(username, password, identityToken);
        this.resolved = true;
    }

    private Credentials(String origin, String registry, Value fileValue, String helper, String searchPath) {
        this.origin = origin;
        this.registry = registry;
        this.helper = helper;
        this.searchPath = searchPath;
        this.value = fileValue;
        this.resolved = helper == null;
    }

    /** Where these come from, for messages: "credential helper docker-credential-x (credsStore in /root/.docker/config.json)". */
    public String origin() { return origin; }

    /** Whether there are credentials (runs the helper the first time). */
    public boolean present() { return value() != null; }
    public String username() { Value v = value(); return v == null ? null : v.username(); }
    public String password() { Value v = value(); return v == null ? null : v.password(); }
    /** An identity token (OAuth2 refresh token) to trade at the token endpoint, or null. */
    public String identityToken() { Value v = value(); return v == null ? null : v.identityToken(); }

    /** The Basic authorization header, or null when there is no username/password (none, or only an identity token). */
    public String basic() {
        Value v = value();
        if (v == null || v.username() == null || v.password() == null) return null;
        return "Basic " + Base64.getEncoder().encodeToString((v.username() + ":" + v.password()).getBytes(StandardCharsets.UTF_8));
    }

    private Value value() {
        if (!resolved) {
            synchronized (this) {
                if (!resolved) {
                    value = runHelper(helper, serverUrl(registry), registry, origin, searchPath);
                    resolved = true;
                }
            }
        }
        return value;
    }

    @Override public String toString() { return "Credentials(" + origin + ")"; }

    public static Path defaultConfig() {
        String dc = System.getenv("DOCKER_CONFIG");
        if (dc != null && !dc.isBlank()) return Path.of(dc, "config.json");
        return Path.of(System.getProperty("user.home"), ".docker", "config.json");
    }

    /**
     * Credentials for {@code registry} per {@code config} (null: the default), or null when the
     * config names none for it. A helper is not run here: the first use runs it.
     */
    public static Credentials lookup(Path config, String registry) { return lookup(config, registry, System.getenv("PATH")); }

    /** As {@link #lookup(Path, String)}, looking for helpers in {@code searchPath} (a PATH value). */
    public static Credentials lookup(Path config, String registry, String searchPath) {
        if (config == null) config = defaultConfig();
        if (!Files.isRegularFile(config)) return null;
        JsonNode root;
        try { root = Json.MAPPER.readTree(Files.readAllBytes(config)); }
        catch (IOException e) { throw new ImageException.Store("cannot read docker config " + config + ": " + e.getMessage(), e); }
        if (root == null || !root.isObject()) throw new ImageException.Store("docker config " + config + " is not a JSON object", null);
        for (Iterator<Map.Entry<String, JsonNode>> it = root.path("credHelpers").fields(); it.hasNext(); ) {
            var e = it.next();
            if (normalise(e.getKey()).equals(normalise(registry)) && !e.getValue().asText("").isEmpty())
                return helper(e.getValue().asText(), "credHelpers", config, registry, searchPath);
        }
        String store = root.path("credsStore").asText("");
        if (!store.isEmpty()) return helper(store, "credsStore", config, registry, searchPath);
        for (Iterator<Map.Entry<String, JsonNode>> it = root.path("auths").fields(); it.hasNext(); ) {
            var e = it.next();
            if (!normalise(e.getKey()).equals(normalise(registry))) continue;
            JsonNode a = e.getValue();
            String user = null, pass = null;
            if (a.hasNonNull("auth") && !a.get("auth").asText().isEmpty()) {
                String dec;
                try { dec = new String(Base64.getDecoder().decode(a.get("auth").asText().trim()), StandardCharsets.UTF_8); }
                catch (IllegalArgumentException x) { throw new ImageException.Store("docker config " + config + ": auth for " + e.getKey() + " is not base64", null); }
                int i = dec.indexOf(':');
                if (i < 0) throw new ImageException.Store("docker config " + config + ": malformed auth for " + e.getKey(), null);
                user = dec.substring(0, i);
                pass = dec.substring(i + 1);
            } else if (a.hasNonNull("username")) {
                user = a.get("username").asText();
                pass = a.path("password").asText("");
            }
            String token = a.path("identitytoken").asText("");
            if (user == null && token.isEmpty()) continue;
            return new Credentials("docker config " + config, registry, new Value(user, pass, token.isEmpty() ? null : token), null, null);
        }
        return null;
    }

    private static Credentials helper(String name, String key, Path config, String registry, String searchPath) {
        String origin = "credential helper docker-credential-" + name + " (" + key + " in " + config + ")";
        if (!HELPER_NAME.matcher(name).matches())
            throw new ImageException.Registry(0, origin + ": not a helper name (letters, digits, '.', '_', '-')", null);
        return new Credentials(origin, registry, null, name, searchPath);
    }

    /** The server URL a helper is asked about: as docker login stored it. */
    static String serverUrl(String registry) { return registry.equals(ImageReference.DOCKER_HUB) ? HUB_SERVER : registry; }

    /** Runs {@code docker-credential-NAME get}; null when the helper has no credentials for the server. */
    static Value runHelper(String name, String server, String registry, String origin, String searchPath) {
        String exe = "docker-credential-" + name;
        Path found = findHelper(name, searchPath);
        if (found == null) throw new ImageException.Registry(0, origin + " is not installed: no " + exe + " on PATH", null);
        Process p;
        try {
            p = new ProcessBuilder(found.toString(), "get").start();
        } catch (IOException e) {
            throw new ImageException.Registry(0, origin + " could not be run: " + e.getMessage(), e);
        }
        CompletableFuture<byte[]> out = drain(p.getInputStream()), err = drain(p.getErrorStream());
        try (OutputStream in = p.getOutputStream()) {
            in.write(server.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            // a helper that exits without reading stdin: its exit status and output say why
        }
        String stdout, stderr;
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new ImageException.Registry(0, origin + " did not answer within 60 s for " + registry, null);
            }
            stdout = new String(out.get(), StandardCharsets.UTF_8).trim();
            stderr = new String(err.get(), StandardCharsets.UTF_8).trim();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new ImageException.Registry(0, origin + ": interrupted", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new ImageException.Registry(0, origin + ": cannot read its output: " + e.getCause(), e.getCause());
        }
        if (p.exitValue() != 0) {
            String msg = !stdout.isEmpty() ? stdout : stderr;
            if (msg.equals(NOT_FOUND)) return null;
            throw new ImageException.Registry(0, origin + " failed for " + registry + " (exit " + p.exitValue() + ")"
                    + (msg.isEmpty() ? "" : ": " + firstLine(msg)), null);
        }
        JsonNode j;
        try { j = Json.MAPPER.readTree(stdout); }
        catch (IOException e) { j = null; }
        if (j == null || !j.isObject())
            throw new ImageException.Registry(0, origin + " printed no JSON object for " + registry + ": " + firstLine(stdout), null);
        String user = j.path("Username").asText(""), secret = j.path("Secret").asText("");
        if (user.isEmpty() && secret.isEmpty()) return null;
        if (user.equals("<token>")) return new Value(null, null, secret);
        return new Value(user, secret, null);
    }

    /** {@code docker-credential-NAME} in {@code searchPath} (a PATH value), or null. */
    static Path findHelper(String name, String searchPath) {
        if (searchPath == null) return null;
        for (String dir : searchPath.split(":")) {
            if (dir.isEmpty()) continue;
            Path p = Path.of(dir, "docker-credential-" + name);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) return p;
        }
        return null;
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        String l = nl < 0 ? s : s.substring(0, nl);
        return l.length() > 300 ? l.substring(0, 300) + "..." : l;
    }

    private static CompletableFuture<byte[]> drain(InputStream in) {
        CompletableFuture<byte[]> f = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (in) { f.complete(in.readNBytes(1 << 20)); }
            catch (IOException e) { f.completeExceptionally(e); }
        });
        return f;
    }

    static String normalise(String key) {
        String k = key.replaceFirst("^https?://", "");
        int slash = k.indexOf('/');
        if (slash >= 0) k = k.substring(0, slash);
        if (k.equals("index.docker.io") || k.equals("registry-1.docker.io")) k = ImageReference.DOCKER_HUB;
        return k;
    }
}
