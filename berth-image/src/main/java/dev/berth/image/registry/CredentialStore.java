package dev.berth.image.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Where {@code berth login} keeps credentials and {@code berth logout} removes them, as the docker
 * CLI does: the helper that {@code credHelpers[registry]} or {@code credsStore} names
 * ({@code docker-credential-NAME store} with {"ServerURL","Username","Secret"} on stdin,
 * {@code erase} with the server URL), else {@code auths[server].auth} (base64 user:password) in
 * config.json, rewritten atomically with mode 0600 and its other keys kept.
 */
public final class CredentialStore {
    private CredentialStore() {}

    /** Stores; returns where ("config.json path" or "credential helper docker-credential-x"). */
    public static String store(Path config, String registry, String username, String secret) {
        if (config == null) config = Credentials.defaultConfig();
        ObjectNode root = read(config);
        String server = Credentials.serverUrl(registry);
        String helper = helperFor(root, registry);
        if (helper != null) {
            byte[] in = Json.MAPPER.createObjectNode().put("ServerURL", server).put("Username", username).put("Secret", secret)
                    .toString().getBytes(StandardCharsets.UTF_8);
            runHelper(helper, "store", in, config);
            return "credential helper docker-credential-" + helper;
        }
        ObjectNode auths = root.has("auths") && root.get("auths").isObject() ? (ObjectNode) root.get("auths") : root.putObject("auths");
        for (String k : keysFor(auths, registry)) auths.remove(k);
        auths.putObject(server).put("auth", Base64.getEncoder().encodeToString((username + ":" + secret).getBytes(StandardCharsets.UTF_8)));
        write(config, root);
        return config.toString();
    }

    /** Removes; returns whether there was anything to remove. */
    public static boolean erase(Path config, String registry) {
        if (config == null) config = Credentials.defaultConfig();
        if (!Files.exists(config)) return false;
        ObjectNode root = read(config);
        String helper = helperFor(root, registry);
        boolean removed = false;
        if (helper != null) {
            runHelper(helper, "erase", Credentials.serverUrl(registry).getBytes(StandardCharsets.UTF_8), config);
            removed = true;
        }
        if (root.get("auths") instanceof ObjectNode auths) {
            List<String> keys = keysFor(auths, registry);
            for (String k : keys) auths.remove(k);
            if (!keys.isEmpty()) {
                write(config, root);
                removed = true;
            }
        }
        return removed;
    }

    private static List<String> keysFor(ObjectNode auths, String registry) {
        List<String> out = new ArrayList<>();
        for (Iterator<String> it = auths.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (Credentials.normalise(k).equals(Credentials.normalise(registry))) out.add(k);
        }
        return out;
    }

    private static String helperFor(ObjectNode root, String registry) {
        for (Iterator<Map.Entry<String, JsonNode>> it = root.path("credHelpers").fields(); it.hasNext(); ) {
            var e = it.next();
            if (Credentials.normalise(e.getKey()).equals(Credentials.normalise(registry)) && !e.getValue().asText("").isEmpty())
                return e.getValue().asText();
        }
        String store = root.path("credsStore").asText("");
        return store.isEmpty() ? null : store;
    }

    private static ObjectNode read(Path config) {
        if (!Files.exists(config)) return Json.MAPPER.createObjectNode();
        try {
            JsonNode n = Json.MAPPER.readTree(Files.readAllBytes(config));
            if (n == null || n.isMissingNode()) return Json.MAPPER.createObjectNode();
            if (!(n instanceof ObjectNode o)) throw new ImageException.Store("docker config " + config + " is not a JSON object", null);
            return o;
        } catch (IOException e) {
            throw new ImageException.Store("cannot read docker config " + config + ": " + e.getMessage(), e);
        }
    }

    private static void write(Path config, ObjectNode root) {
        Path tmp = config.resolveSibling(config.getFileName() + ".berth-tmp");
        try {
            Files.createDirectories(config.toAbsolutePath().getParent(),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.write(tmp, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
            Files.move(tmp, config, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            try { Files.deleteIfExists(tmp); } catch (IOException ignored) {}
            throw new ImageException.Store("cannot write docker config " + config + ": " + e.getMessage(), e);
        }
    }

    private static void runHelper(String name, String action, byte[] stdin, Path config) {
        String exe = "docker-credential-" + name;
        Path found = Credentials.findHelper(name, System.getenv("PATH"));
        String origin = "credential helper " + exe + " (named in " + config + ")";
        if (found == null) throw new ImageException.Registry(0, origin + " is not installed: no " + exe + " on PATH", null);
        try {
            Process p = new ProcessBuilder(found.toString(), action).redirectErrorStream(true).start();
            try (OutputStream in = p.getOutputStream()) { in.write(stdin); } catch (IOException ignored) { /* exit status says why */ }
            byte[] out = p.getInputStream().readNBytes(64 << 10);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new ImageException.Registry(0, origin + " did not finish " + action + " within 60 s", null);
            }
            if (p.exitValue() != 0) {
                String msg = new String(out, StandardCharsets.UTF_8).trim();
                throw new ImageException.Registry(0, origin + " failed to " + action + " (exit " + p.exitValue() + ")"
                        + (msg.isEmpty() ? "" : ": " + msg.lines().findFirst().orElse("")), null);
            }
        } catch (IOException e) {
            throw new ImageException.Registry(0, origin + " could not be run: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ImageException.Registry(0, origin + ": interrupted", e);
        }
    }
}
