package dev.berth.cli.berth;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.Json;
import dev.berth.image.snapshot.Snapshotter;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A read-only view of berthd's container records in the same store root
 * ({@code ROOT/engine/containers/ID/container.json}, written by berth-engine): their names, so that
 * the store's containers ({@code containers/ID/}, keyed by berthd's 64-hex ID) can be shown and
 * named as docker names them. bin/berth never writes there.
 */
final class EngineContainers {
    private EngineContainers() {}

    /** The label berth-engine puts on its containers' snapshots. */
    static final String LABEL = "dev.berth.engine";

    /** berthd's name of container {@code id} (without the leading /), or null (no record). */
    static String name(Path root, String id) {
        JsonNode n = record(root, id);
        if (n == null) return null;
        String name = n.path("Name").asText("");
        return name.startsWith("/") ? name.substring(1) : name.isEmpty() ? null : name;
    }

    private static JsonNode record(Path root, String id) {
        if (!id.matches("[a-f0-9]{64}")) return null;
        Path f = root.resolve("engine/containers").resolve(id).resolve("container.json");
        try { return Json.MAPPER.readTree(f.toFile()); } catch (IOException e) { return null; }
    }

    /** How a container of the store is shown: berthd's name ("web (berthd 0123456789ab)"), a bundle's name, or the ID. */
    static String display(Path root, Snapshotter.ContainerInfo ci) { return display(root, ci.id(), ci.labels()); }

    static String display(Path root, String id, java.util.Map<String, String> labels) {
        if (!labels.containsKey(LABEL)) return id;
        String n = name(root, id);
        return (n == null ? "?" : n) + " (berthd " + id.substring(0, Math.min(12, id.length())) + ")";
    }

    /**
     * The store's container ID for what the user typed: a bundle name or berthd ID as the store has
     * it, else a berthd container name or a unique ID prefix of at least 12; NotFound names it.
     */
    static String resolve(Path root, Snapshotter snap, String what) {
        if (what.matches("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}") && Files.isDirectory(root.resolve("containers").resolve(what))) return what;
        String want = what.startsWith("/") ? what.substring(1) : what;
        String found = null;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root.resolve("containers"))) {
            for (Path p : ds) {
                String id = p.getFileName().toString();
                if (!id.matches("[a-f0-9]{64}")) continue;
                if (want.equals(name(root, id))) return id;
                if (want.length() >= 12 && id.startsWith(want)) {
                    if (found != null) throw new ImageException.InvalidReference("ambiguous container id prefix: " + what);
                    found = id;
                }
            }
        } catch (IOException e) {
            throw new ImageException.Store("cannot list containers: " + e.getMessage(), e);
        }
        if (found != null) return found;
        throw new ImageException.NotFound("no such container: " + what);
    }
}
