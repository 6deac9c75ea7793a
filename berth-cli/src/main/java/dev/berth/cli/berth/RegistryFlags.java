package dev.berth.cli.berth;

import dev.berth.image.registry.RegistryOptions;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import picocli.CommandLine.Option;

/** Registry options of pull and push. */
public final class RegistryFlags {
    @Option(names = "--insecure-registry", description = "allow plain HTTP for this registry (host[:port]); repeatable")
    List<String> insecure = List.of();

    @Option(names = "--ca", description = "PEM file of CA certificates to trust besides the system ones")
    Path ca;

    @Option(names = "--docker-config", description = "docker config.json with credentials (default $DOCKER_CONFIG/config.json or ~/.docker/config.json)")
    Path dockerConfig;

    @Option(names = "--parallel", description = "layers transferred at once (default 3)")
    int parallel = 3;

    RegistryOptions options() {
        RegistryOptions d = RegistryOptions.DEFAULT;
        return new RegistryOptions(new HashSet<>(insecure), ca, dockerConfig, parallel, d.retries(), d.timeout());
    }
}
