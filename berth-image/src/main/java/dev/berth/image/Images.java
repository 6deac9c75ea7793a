package dev.berth.image;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.image.api.ConfigChanges;
import dev.berth.image.api.Descriptor;
import dev.berth.image.api.Digest;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.ImageReference;
import dev.berth.image.api.Index;
import dev.berth.image.api.Json;
import dev.berth.image.api.Manifest;
import dev.berth.image.api.MediaTypes;
import dev.berth.image.api.Platform;
import dev.berth.image.archive.ArchiveLoader;
import dev.berth.image.archive.ArchiveSaver;
import dev.berth.image.snapshot.SnapshotStore;
import dev.berth.image.snapshot.Snapshotter;
import dev.berth.image.snapshot.TreeHasher;
import dev.berth.image.store.ImageWriter;
import dev.berth.image.store.LayerBlobs;
import dev.berth.image.store.Provenance;
import dev.berth.image.store.Store;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The image service: one object per store root, used by the CLI (and later the daemon). Each
 * method is one user-visible operation; the work is in the store, snapshot, archive and registry
 * packages.
 */
public final class Images {
    private final Store store;
    private final SnapshotStore snapshots;
    private final Snapshotter snapshotter;

    private Images(Store store, dev.berth.sys.Syscalls sys) {
        this.store = store;
        this.snapshots = new SnapshotStore(store);
        this.snapshotter = new Snapshotter(store, snapshots, sys);
    }

    public static Images open(Path root) { return open(root, dev.berth.sys.Syscalls.linux()); }

    /** The store at {@code root}, its snapshots mounted through {@code sys} (tests: a recording double). */
    public static Images open(Path root, dev.berth.sys.Syscalls sys) { return new Images(Store.open(root), sys); }

    public Store store() { return store; }
    public SnapshotStore snapshots() { return snapshots; }
    public Snapshotter snapshotter() { return snapshotter; }

    // ---- import / load / save ------------------------------------------------------------

    /** A one-layer image from a root filesystem directory or tarball (tar, tar.gz, tar.zst). */
    public Descriptor importRootfs(Path source, ImageReference name, Platform platform) {
        return importRootfs(source, name, platform, ConfigChanges.NONE);
    }

    /** As {@link #importRootfs(Path, ImageReference, Platform)}, with {@code changes} (CMD, ENV, ...) applied to the config. */
    public Descriptor importRootfs(Path source, ImageReference name, Platform platform, ConfigChanges changes) {
        if (!Files.exists(source)) throw new ImageException.NotFound("no such file or directory: " + source);
        try (Store.Adding ignored = store.adding()) {
        LayerBlobs.Layer layer = Files.isDirectory(source) ? LayerBlobs.fromDirectory(store, source, false)
                : LayerBlobs.fromTarball(store, source);
        // Unpacking now validates the archive (a bad one leaves no image) and makes the first run fast.
        snapshots.unpack(SnapshotStore.chainIds(List.of(layer.diffId())).getFirst(), layer.descriptor(), layer.diffId());
        Provenance.Layer p = Provenance.Layer.local("import", layer.descriptor().digest(), layer.diffId().toString(), source.toAbsolutePath().toString());
        ObjectNode base = null;
        if (!changes.isEmpty()) {
            base = Json.MAPPER.createObjectNode();
            base.put("architecture", platform.architecture());
            base.put("os", platform.os());
            if (platform.variant() != null) base.put("variant", platform.variant());
            ObjectNode config = base.putObject("config");
            config.putArray("Env").add("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
            changes.applyTo(config);
            base.putObject("rootfs").put("type", "layers").putArray("diff_ids");
        }
        return ImageWriter.write(store, base, List.of(), List.of(), List.of(layer), List.of(p),
                "berth import " + source, platform, name);
        }
    }

    public List<ArchiveLoader.Loaded> load(Path archive, String name, Platform platform) {
        ArchiveLoader loader = new ArchiveLoader(store, platform);
        return undoneOnFailure(loader, () -> loader.load(archive, name));
    }

    public List<ArchiveLoader.Loaded> load(InputStream archive, String name, Platform platform) {
        ArchiveLoader loader = new ArchiveLoader(store, platform);
        return undoneOnFailure(loader, () -> loader.load(archive, name, "stdin"));
    }

    /** A load that fails names nothing (the loader names images last) and leaves none of the blobs it stored. */
    private List<ArchiveLoader.Loaded> undoneOnFailure(ArchiveLoader loader, java.util.function.Supplier<List<ArchiveLoader.Loaded>> load) {
        try {
            try (Store.Adding ignored = store.adding()) { return load.get(); }
        } catch (RuntimeException e) {
            try { discardUnreferenced(loader.stored()); } catch (RuntimeException e2) { e.addSuppressed(e2); }
            throw e;
        }
    }

    /**
     * Deletes those of {@code blobs} that nothing references, as prune would (and under prune's lock,
     * so after any pull, import or load running meanwhile, which may have found one of them present).
     */
    private void discardUnreferenced(Set<Digest> blobs) {
        if (blobs.isEmpty()) return;
        store.collecting(() -> {
            Set<Digest> keep = new HashSet<>();
            markAll(keep, new HashSet<>());
            try {
                for (Digest d : blobs) {
                    if (keep.contains(d)) continue;
                    Files.deleteIfExists(store.blobPath(d));
                    Files.deleteIfExists(store.root().resolve("provenance").resolve(d.hex() + ".json"));
                }
            } catch (IOException e) {
                throw new ImageException.Store("cannot remove the blobs of a failed load: " + e.getMessage(), e);
            }
            return null;
        });
    }

    public void save(List<String> refs, boolean ociOnly, OutputStream out) {
        List<ArchiveSaver.Item> items = new ArrayList<>();
        for (String r : refs) {
            Descriptor d = store.resolve(r);
            List<ImageReference> names = new ArrayList<>();
            if (!Digest.isDigest(r) && !r.matches("[a-f0-9]{12,64}")) names.add(ImageReference.parse(r));
            items.add(new ArchiveSaver.Item(d, names));
        }
        try { ArchiveSaver.save(store, items, ociOnly, out); }
        catch (IOException e) { throw new ImageException.Store("cannot write archive: " + e.getMessage(), e); }
    }

    // ---- registry ------------------------------------------------------------------------

    public Descriptor pull(ImageReference ref, Platform platform, dev.berth.image.registry.RegistryOptions options,
                           dev.berth.image.registry.Progress progress) {
        try (Store.Adding ignored = store.adding()) {
            return new dev.berth.image.registry.Puller(store, snapshots, options).pull(ref, platform, progress);
        }
    }

    /** Pushes local {@code source} to {@code target} (default: source's own name). */
    public Digest push(String source, ImageReference target, dev.berth.image.registry.RegistryOptions options,
                       dev.berth.image.registry.Progress progress) {
        return push(source, target, options, dev.berth.image.registry.Pusher.Chunking.DEFAULT, progress);
    }

    /** As {@link #push(String, ImageReference, dev.berth.image.registry.RegistryOptions, dev.berth.image.registry.Progress)}, large blobs in chunks per {@code chunking}. */
    public Digest push(String source, ImageReference target, dev.berth.image.registry.RegistryOptions options,
                       dev.berth.image.registry.Pusher.Chunking chunking, dev.berth.image.registry.Progress progress) {
        Descriptor d = store.resolve(source);
        ImageReference t = target != null ? target : ImageReference.parse(source);
        return new dev.berth.image.registry.Pusher(store, options, chunking).push(d, t, progress);
    }

    // ---- listing -------------------------------------------------------------------------

    public record Summary(List<ImageReference> names, Digest manifest, Digest id, String created, long size) {}

    public List<Summary> list() {
        List<Summary> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Descriptor d : store.readIndex().manifests()) {
            if (!seen.add(d.digest()) || !MediaTypes.isManifest(d.mediaType())) continue;
            Manifest m = store.manifest(d);
            ObjectNode cfg = store.config(m);
            long size = m.layers().stream().mapToLong(Descriptor::size).sum();
            out.add(new Summary(store.namesOf(d.digestValue()), d.digestValue(), m.config().digestValue(), cfg.path("created").asText(""), size));
        }
        return out;
    }

    /** Docker-like inspect document plus berth's provenance. */
    public ObjectNode inspect(String ref) {
        Descriptor d = store.resolve(ref);
        Manifest m = store.manifest(d);
        ObjectNode cfg = store.config(m);
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("Id", m.config().digest());
        ArrayNode tags = o.putArray("RepoTags");
        store.namesOf(d.digestValue()).forEach(r -> tags.add(r.familiar()));
        o.put("Manifest", d.digest());
        o.put("ManifestMediaType", d.mediaType());
        o.put("Created", cfg.path("created").asText(null));
        o.put("Architecture", cfg.path("architecture").asText(null));
        o.put("Os", cfg.path("os").asText(null));
        if (cfg.has("variant")) o.put("Variant", cfg.path("variant").asText());
        o.set("Config", cfg.path("config").deepCopy());
        o.put("Size", m.layers().stream().mapToLong(Descriptor::size).sum());
        ArrayNode layers = o.putArray("Layers");
        List<Digest> diffIds = Store.diffIds(cfg);
        List<Digest> chain = SnapshotStore.chainIds(diffIds);
        Provenance p = store.provenance(d.digestValue());
        for (int i = 0; i < m.layers().size(); i++) {
            Descriptor l = m.layers().get(i);
            ObjectNode lo = layers.addObject();
            lo.put("Digest", l.digest());
            lo.put("MediaType", l.mediaType());
            lo.put("Size", l.size());
            if (i < diffIds.size()) {
                lo.put("DiffID", diffIds.get(i).toString());
                lo.put("ChainID", chain.get(i).toString());
                lo.put("Unpacked", snapshots.has(chain.get(i)));
            }
            if (p != null) {
                for (Provenance.Layer pl : p.layers()) if (pl.digest().equals(l.digest())) { lo.set("Provenance", Json.MAPPER.valueToTree(pl)); break; }
            }
        }
        return o;
    }

    public record HistoryLine(String created, String createdBy, boolean emptyLayer, String layer, String provenance) {}

    public List<HistoryLine> history(String ref) {
        Descriptor d = store.resolve(ref);
        Manifest m = store.manifest(d);
        ObjectNode cfg = store.config(m);
        Provenance p = store.provenance(d.digestValue());
        List<HistoryLine> out = new ArrayList<>();
        int li = 0;
        for (var h : cfg.path("history")) {
            boolean empty = h.path("empty_layer").asBoolean(false);
            String layer = null, prov = null;
            if (!empty && li < m.layers().size()) {
                layer = m.layers().get(li++).digest();
                if (p != null) for (Provenance.Layer pl : p.layers()) if (pl.digest().equals(layer)) { prov = pl.describe(); break; }
            }
            out.add(new HistoryLine(h.path("created").asText(""), h.path("created_by").asText(""), empty, layer, prov));
        }
        for (; li < m.layers().size(); li++) {   // configs without history
            String layer = m.layers().get(li).digest();
            String prov = null;
            if (p != null) for (Provenance.Layer pl : p.layers()) if (pl.digest().equals(layer)) { prov = pl.describe(); break; }
            out.add(new HistoryLine("", "", false, layer, prov));
        }
        return out.reversed();
    }

    // ---- names ---------------------------------------------------------------------------

    public void tag(String source, String target) {
        Descriptor d = store.resolve(source);
        store.tag(ImageReference.parse(target), d);
    }

    /**
     * Removes a name; when no name is left (or an ID/digest was given) the image leaves the index
     * and prune reclaims its blobs. Refuses while a container uses it unless {@code force}.
     */
    public List<String> remove(String ref, boolean force) {
        Descriptor d = store.resolve(ref);
        List<String> out = new ArrayList<>();
        boolean byName = !Digest.isDigest(ref) && !ref.matches("[a-f0-9]{12,64}");
        List<ImageReference> names = store.namesOf(d.digestValue());
        ImageReference r0 = byName ? ImageReference.parse(ref) : null;
        boolean lastName = !byName || names.stream().allMatch(n -> n.equals(r0));
        if (lastName && !force)
            for (Snapshotter.ContainerInfo ci : snapshotter.list())
                if (ci.manifest().equals(d.digest()))
                    throw new ImageException.Store("image " + ref + " is used by container " + ci.id() + " (use --force)", null);
        if (!byName && !force && names.size() > 1)
            throw new ImageException.Store("image " + ref + " has several names " + names.stream().map(ImageReference::familiar).toList() + " (use --force)", null);
        if (byName) {
            if (store.untag(r0)) out.add("Untagged: " + r0.familiar());
            if (!lastName) return out;
        }
        for (ImageReference r : store.namesOf(d.digestValue())) { store.untag(r); out.add("Untagged: " + r.familiar()); }
        store.removeManifest(d.digestValue());
        out.add("Deleted: " + d.digest());
        return out;
    }

    // ---- prune / verify ------------------------------------------------------------------

    public record PruneResult(List<Digest> blobs, List<Digest> snapshots, long bytes) {}

    /** Removes blobs and snapshots no image in index.json (or container) references. */
    public PruneResult prune() {
        return store.collecting(() -> {
            Set<Digest> keepBlobs = new HashSet<>();
            Set<Digest> keepSnaps = new HashSet<>();
            markAll(keepBlobs, keepSnaps);
            List<Digest> gone = new ArrayList<>();
            long bytes = 0;
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(store.root().resolve("blobs/sha256"))) {
                for (Path p : ds) {
                    String hex = p.getFileName().toString();
                    Digest d;
                    try { d = new Digest("sha256", hex); } catch (ImageException e) { continue; }
                    if (keepBlobs.contains(d)) continue;
                    bytes += Files.size(p);
                    Files.delete(p);
                    Files.deleteIfExists(store.root().resolve("provenance").resolve(hex + ".json"));
                    gone.add(d);
                }
            } catch (IOException e) {
                throw new ImageException.Store("prune failed: " + e.getMessage(), e);
            }
            List<Digest> goneSnaps = new ArrayList<>();
            for (Digest c : snapshots.list()) {
                if (keepSnaps.contains(c)) continue;
                snapshots.delete(c);
                goneSnaps.add(c);
            }
            return new PruneResult(gone, goneSnaps, bytes);
        });
    }

    /** What index.json and the containers reference: blobs and snapshots. */
    private void markAll(Set<Digest> keepBlobs, Set<Digest> keepSnaps) {
        for (Descriptor d : store.readIndex().manifests()) mark(d, keepBlobs, keepSnaps);
        for (Snapshotter.ContainerInfo ci : snapshotter.list()) {
            keepBlobs.add(Digest.parse(ci.manifest()));
            try { mark(new Descriptor(MediaTypes.OCI_MANIFEST, ci.manifest(), 0, null, null, null), keepBlobs, keepSnaps); }
            catch (ImageException ignored) {}
            ci.chain().forEach(c -> keepSnaps.add(Digest.parse(c)));
        }
    }

    private void mark(Descriptor d, Set<Digest> blobs, Set<Digest> snaps) {
        blobs.add(d.digestValue());
        if (!store.hasBlob(d.digestValue())) return;
        if (MediaTypes.isIndex(d.mediaType())) {
            Index idx = Json.read(store.readBlob(d.digestValue()), Index.class, "index " + d.digest());
            for (Descriptor c : idx.manifests()) mark(c, blobs, snaps);
            return;
        }
        Manifest m = store.manifest(d);
        blobs.add(m.config().digestValue());
        m.layers().forEach(l -> blobs.add(l.digestValue()));
        if (store.hasBlob(m.config().digestValue())) snaps.addAll(SnapshotStore.chainIds(Store.diffIds(store.config(m))));
    }

    /** Re-hashes every blob and snapshot; returns one line per problem (empty: all good). */
    public List<String> verify() {
        List<String> problems = new ArrayList<>();
        byte[] buf = new byte[1 << 17];
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(store.root().resolve("blobs/sha256"))) {
            for (Path p : ds) {
                String hex = p.getFileName().toString();
                MessageDigest sha = Digest.newSha256();
                try (InputStream in = Files.newInputStream(p)) {
                    int n;
                    while ((n = in.read(buf)) > 0) sha.update(buf, 0, n);
                }
                Digest actual = Digest.sha256(sha.digest());
                if (!actual.hex().equals(hex)) problems.add("blob sha256:" + hex + " is corrupt: content hashes to " + actual);
            }
        } catch (IOException e) {
            problems.add("cannot read blobs: " + e.getMessage());
        }
        Set<String> seen = new HashSet<>();
        for (Descriptor d : store.readIndex().manifests()) {
            if (!seen.add(d.digest())) continue;
            try {
                Set<Digest> need = new HashSet<>();
                mark(d, need, new HashSet<>());
                for (Digest b : need) if (!store.hasBlob(b)) problems.add("image " + d.digest() + " misses blob " + b);
            } catch (ImageException.DigestMismatch e) {
                // a corrupt manifest or config: already reported by the blob scan
            } catch (ImageException e) {
                problems.add("image " + d.digest() + ": " + e.getMessage());
            }
        }
        for (Digest c : snapshots.list()) {
            try {
                SnapshotStore.Info info = snapshots.info(c);
                Digest expected = snapshots.expectedTree(c);
                Digest tree = TreeHasher.hash(snapshots.fs(c));
                if (!tree.equals(expected))
                    problems.add("snapshot " + c + " (layer " + info.layer() + ") was modified: tree hashes to " + tree + ", layer gives " + expected);
            } catch (IOException | ImageException e) {
                problems.add("snapshot " + c + ": " + e.getMessage());
            }
        }
        return problems;
    }
}
