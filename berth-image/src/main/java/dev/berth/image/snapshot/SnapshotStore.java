package dev.berth.image.snapshot;

import dev.berth.image.api.Descriptor;
import dev.berth.image.api.Digest;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.Json;
import dev.berth.image.store.Store;
import dev.berth.image.tar.LayerExtractor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Unpacked layers, each once, under {@code snapshots/sha256/CHAINID/}: {@code fs/} holds the
 * layer's own files (overlay form), {@code info.json} its layer digest, diff ID and tree digest.
 * A layer is unpacked into {@code snapshots/tmp/UUID} and renamed into place only when complete
 * and its diff ID checked, so a crash or a bad archive leaves nothing (tmp is emptied at start-up,
 * whatever the depth of what is there). The options come from the environment: file data one
 * layer may write, {@code $BERTH_MAX_LAYER_SIZE} (default 64 GiB; see LayerExtractor.Options).
 */
public final class SnapshotStore {
    public record Info(String chainId, String diffId, String layer, String tree, long bytes) {}

    private final Store store;
    private LayerExtractor.Options options;

    /**
     * With the default limits, the layer size limit from {@code $BERTH_MAX_LAYER_SIZE} when set
     * (read at the first unpack: a bad value fails only commands that unpack).
     */
    public SnapshotStore(Store store) { this(store, null); }
    public SnapshotStore(Store store, LayerExtractor.Options options) { this.store = store; this.options = options; }

    private LayerExtractor.Options options() {
        if (options == null) options = LayerExtractor.Options.fromEnvironment();
        return options;
    }

    /** Chain IDs per the OCI image spec: chain(0)=diff(0), chain(n)=sha256(chain(n-1) + " " + diff(n)). */
    public static List<Digest> chainIds(List<Digest> diffIds) {
        List<Digest> out = new ArrayList<>();
        Digest prev = null;
        for (Digest d : diffIds) {
            prev = prev == null ? d : Digest.of((prev + " " + d).getBytes(StandardCharsets.UTF_8));
            out.add(prev);
        }
        return out;
    }

    public Path dir(Digest chainId) { return store.snapshotsDir().resolve("sha256").resolve(chainId.hex()); }
    public Path fs(Digest chainId) { return dir(chainId).resolve("fs"); }
    public boolean has(Digest chainId) { return Files.isDirectory(fs(chainId)); }

    /** Unpacks {@code layer} as snapshot {@code chainId} unless present; checks the diff ID. */
    public Path unpack(Digest chainId, Descriptor layer, Digest diffId) {
        if (has(chainId)) return fs(chainId);
        Pending p;
        try (InputStream in = store.openBlob(layer.digestValue())) {
            p = extract(chainId, layer, diffId, in);
        } catch (IOException e) {
            throw new ImageException.Store("cannot read layer " + layer.digest() + ": " + e.getMessage(), e);
        }
        return p.commit();
    }

    /** A layer extracted into snapshots/tmp, not yet in place: {@link #commit} or {@link #abort}. */
    public final class Pending {
        private final Path tmp;
        private final Digest chainId;
        private Pending(Path tmp, Digest chainId) { this.tmp = tmp; this.chainId = chainId; }

        public Path commit() {
            try {
                try {
                    Files.move(tmp, dir(chainId), StandardCopyOption.ATOMIC_MOVE);
                } catch (java.nio.file.FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException raced) {
                    Store.deleteTree(tmp);
                } catch (java.nio.file.FileSystemException e) {
                    // rename(2) onto a non-empty directory fails with ENOTEMPTY, which the JDK reports as a
                    // plain FileSystemException: another unpack of the same layer (two containers of a
                    // fresh image created at once, as docker-compose does) committed first
                    if (!has(chainId)) throw e;
                    Store.deleteTree(tmp);
                }
                return fs(chainId);
            } catch (IOException e) {
                abort();
                throw new ImageException.Store("cannot commit snapshot " + chainId + ": " + e.getMessage(), e);
            }
        }

        public void abort() {
            try { Store.deleteTree(tmp); } catch (IOException ignored) {}
        }
    }

    /**
     * Extracts a layer stream (e.g. one still downloading) into a temp dir and checks the diff ID;
     * on any failure nothing is left.
     */
    public Pending extract(Digest chainId, Descriptor layer, Digest diffId, InputStream in) {
        Path tmp = store.snapshotsDir().resolve("tmp").resolve(UUID.randomUUID().toString());
        boolean ok = false;
        try {
            Store.mkdirPrivate(tmp);
            Files.createDirectory(tmp.resolve("fs"));
            LayerExtractor.Result r;
            try {
                r = LayerExtractor.extract(in, tmp.resolve("fs"), options(), layer.digestValue());
            } catch (ImageException.UnsafeArchive u) {
                throw new ImageException.UnsafeArchive(null, "layer " + layer.digest() + ": " + u.getMessage(), u);
            }
            if (diffId != null && !r.diffId().equals(diffId))
                throw new ImageException.DigestMismatch("layer " + layer.digest() + ": uncompressed content hashes to "
                        + r.diffId() + " but the config says " + diffId);
            // The tree digest is computed by the first verify (from a fresh extraction of the blob),
            // keeping unpack to one pass over the data.
            Info info = new Info(chainId.toString(), r.diffId().toString(), layer.digest(), null, r.bytes());
            Files.write(tmp.resolve("info.json"), Json.write(info));
            ok = true;
            return new Pending(tmp, chainId);
        } catch (IOException e) {
            throw new ImageException.Store("cannot unpack layer " + layer.digest() + ": " + e.getMessage(), e);
        } finally {
            if (!ok) try { Store.deleteTree(tmp); } catch (IOException ignored) {}
        }
    }

    /**
     * The digest the snapshot's tree should have: recorded, or computed once by extracting the
     * layer blob afresh into a temp dir (then recorded in info.json).
     */
    public Digest expectedTree(Digest chainId) throws IOException {
        Info info = info(chainId);
        if (info.tree() != null) return Digest.parse(info.tree());
        Path tmp = store.snapshotsDir().resolve("tmp").resolve(UUID.randomUUID().toString());
        try {
            Files.createDirectories(tmp);
            try (InputStream in = store.openBlob(Digest.parse(info.layer()))) { LayerExtractor.extract(in, tmp, options()); }
            Digest tree = TreeHasher.hash(tmp);
            store.writeAtomic(dir(chainId).resolve("info.json"),
                    Json.write(new Info(info.chainId(), info.diffId(), info.layer(), tree.toString(), info.bytes())));
            return tree;
        } finally {
            Store.deleteTree(tmp);
        }
    }

    public Info info(Digest chainId) {
        try { return Json.read(Files.readAllBytes(dir(chainId).resolve("info.json")), Info.class, "snapshot info " + chainId); }
        catch (IOException e) { throw new ImageException.NotFound("snapshot " + chainId + " has no info: " + e.getMessage()); }
    }

    public List<Digest> list() {
        List<Digest> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(store.snapshotsDir().resolve("sha256"))) {
            for (Path p : ds) out.add(new Digest("sha256", p.getFileName().toString()));
        } catch (IOException e) {
            throw new ImageException.Store("cannot list snapshots: " + e.getMessage(), e);
        }
        return out;
    }

    public void delete(Digest chainId) {
        try {
            // Rename first so a crash mid-delete never leaves a half snapshot under its real name.
            Path tmp = store.snapshotsDir().resolve("tmp").resolve(UUID.randomUUID().toString());
            Files.move(dir(chainId), tmp, StandardCopyOption.ATOMIC_MOVE);
            Store.deleteTree(tmp);
        } catch (IOException e) {
            throw new ImageException.Store("cannot delete snapshot " + chainId + ": " + e.getMessage(), e);
        }
    }
}
