package dev.berth.api.daemon;

import dev.berth.api.http.ApiException;
import dev.berth.api.system.SystemBackend;
import dev.berth.image.Images;
import dev.berth.image.api.ImageException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;

/**
 * berthd's {@link SystemBackend} until berth-engine exists: host figures probed once at start,
 * images counted in the berth image store at {@code root} (the one bin/berth uses), and no
 * containers yet (berthd cannot create any so far).
 */
public final class LocalSystemBackend implements SystemBackend {
    private final Path root;
    private final HostFacts host;
    private final DaemonFacts daemon;
    private volatile Images images;
    private volatile java.util.function.Supplier<int[]> containerCounts = () -> new int[3];

    /** Where the container figures come from: running, paused, stopped (the container engine). */
    public LocalSystemBackend containers(java.util.function.Supplier<int[]> counts) {
        this.containerCounts = counts;
        return this;
    }

    public LocalSystemBackend(Path root, HostFacts host) {
        this.root = root;
        this.host = host;
        this.daemon = new DaemonFacts(engineId(root), root.toString(), backingFilesystem(root));
    }

    @Override public HostFacts host() { return host; }
    @Override public DaemonFacts daemon() { return daemon; }

    @Override
    public Counts counts() {
        int[] c = containerCounts.get();
        return new Counts(c[0], c[1], c[2], imageCount());
    }

    /** Distinct images (by config digest, as dockerd counts image IDs), tagged or not. */
    int imageCount() {
        try {
            Images i = images;
            if (i == null) images = i = Images.open(root);
            Set<String> ids = new HashSet<>();
            for (Images.Summary s : i.list()) ids.add(s.id().toString());
            return ids.size();
        } catch (ImageException | UncheckedIOException e) {
            throw ApiException.internal("cannot read the image store " + root + ": " + e.getMessage());
        }
    }

    /**
     * The daemon's ID, kept in {@code root/engine-id} (created on first start, written atomically),
     * as dockerd keeps its own.
     */
    static String engineId(Path root) {
        Path file = root.resolve("engine-id");
        try {
            if (Files.exists(file)) {
                String id = Files.readString(file, StandardCharsets.UTF_8).trim();
                if (!id.isEmpty()) return id;
            }
            Files.createDirectories(root);
            String id = UUID.randomUUID().toString();
            Path tmp = Files.createTempFile(root, ".engine-id", ".tmp");
            try {
                Files.writeString(tmp, id + "\n");
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
            return id;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the engine ID in " + file + ": " + e.getMessage(), e);
        }
    }

    private static String backingFilesystem(Path root) {
        try {
            return Files.getFileStore(root).type();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
