package dev.berth.image.registry;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

/**
 * Client settings. Plain HTTP is used only for localhost / 127.0.0.0/8 / ::1 and registries in
 * {@code insecure} (each tried with HTTPS first). {@code ca}: extra PEM CA certificates trusted
 * beside the system ones. {@code dockerConfig}: a docker config.json for credentials (default
 * $DOCKER_CONFIG/config.json or ~/.docker/config.json). {@code credentials}: when set, used instead
 * of any the docker config names ({@link Credentials#NONE}: none at all), as berthd uses the
 * {@code X-Registry-Auth} a client sends.
 */
public record RegistryOptions(Set<String> insecure, Path ca, Path dockerConfig, int parallel, int retries, Duration timeout,
                              Credentials credentials) {
    public static final RegistryOptions DEFAULT = new RegistryOptions(Set.of(), null, null, 3, 4, Duration.ofSeconds(60));

    public RegistryOptions(Set<String> insecure, Path ca, Path dockerConfig, int parallel, int retries, Duration timeout) {
        this(insecure, ca, dockerConfig, parallel, retries, timeout, null);
    }

    public RegistryOptions {
        insecure = insecure == null ? Set.of() : Set.copyOf(insecure);
        if (parallel < 1) parallel = 1;
        if (retries < 0) retries = 0;
        if (timeout == null) timeout = Duration.ofSeconds(60);
    }

    public RegistryOptions withInsecure(Set<String> s) { return new RegistryOptions(s, ca, dockerConfig, parallel, retries, timeout, credentials); }
    public RegistryOptions withCa(Path p) { return new RegistryOptions(insecure, p, dockerConfig, parallel, retries, timeout, credentials); }
    public RegistryOptions withDockerConfig(Path p) { return new RegistryOptions(insecure, ca, p, parallel, retries, timeout, credentials); }
    public RegistryOptions withRetries(int r) { return new RegistryOptions(insecure, ca, dockerConfig, parallel, r, timeout, credentials); }
    public RegistryOptions withCredentials(Credentials c) { return new RegistryOptions(insecure, ca, dockerConfig, parallel, retries, timeout, c); }

    private static String hostOf(String registry) {
        return registry.startsWith("[") ? registry.substring(0, registry.indexOf(']') + 1)
                : registry.contains(":") ? registry.substring(0, registry.lastIndexOf(':')) : registry;
    }

    public boolean loopback(String registry) {
        String host = hostOf(registry);
        return host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]");
    }

    public boolean plainHttpAllowed(String registry) {
        String host = hostOf(registry);
        return loopback(registry) || insecure.contains(registry) || insecure.contains(host);
    }
}
