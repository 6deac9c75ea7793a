package dev.berth.image.registry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.ImageReference;
import dev.berth.image.api.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;

/** Username/password for a registry, from a docker config.json ({@code auths}; credential helpers are not run). */
public record Credentials(String username, String password) {
    public String basic() {
        return "Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    public static Path defaultConfig() {
        String dc = System.getenv("DOCKER_CONFIG");
        if (dc != null && !dc.isBlank()) return Path.of(dc, "config.json");
        return Path.of(System.getProperty("user.home"), ".docker", "config.json");
    }

    /** Credentials for {@code registry} in {@code config}, or null. */
    public static Credentials lookup(Path config, String registry) {
        if (config == null) config = defaultConfig();
        if (!Files.isRegularFile(config)) return null;
        JsonNode root;
        try { root = Json.MAPPER.readTree(Files.readAllBytes(config)); }
        catch (IOException e) { throw new ImageException.Store("cannot read docker config " + config + ": " + e.getMessage(), e); }
        JsonNode auths = root.path("auths");
        for (Iterator<Map.Entry<String, JsonNode>> it = auths.fields(); it.hasNext(); ) {
            var e = it.next();
            if (!normalise(e.getKey()).equals(normalise(registry))) continue;
            JsonNode a = e.getValue();
            if (a.hasNonNull("auth") && !a.get("auth").asText().isEmpty()) {
                String dec = new String(Base64.getDecoder().decode(a.get("auth").asText()), StandardCharsets.UTF_8);
                int i = dec.indexOf(':');
                if (i < 0) throw new ImageException.Store("docker config " + config + ": malformed auth for " + e.getKey(), null);
                return new Credentials(dec.substring(0, i), dec.substring(i + 1));
            }
            if (a.hasNonNull("username")) return new Credentials(a.get("username").asText(), a.path("password").asText(""));
        }
        return null;
    }

    private static String normalise(String key) {
        String k = key.replaceFirst("^https?://", "");
        int slash = k.indexOf('/');
        if (slash >= 0) k = k.substring(0, slash);
        if (k.equals("index.docker.io") || k.equals("registry-1.docker.io")) k = ImageReference.DOCKER_HUB;
        return k;
    }
}
