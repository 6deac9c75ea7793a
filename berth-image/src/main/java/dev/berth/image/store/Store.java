package dev.berth.image.store;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.image.api.Descriptor;
import dev.berth.image.api.Digest;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.ImageReference;
import dev.berth.image.api.Index;
import dev.berth.image.api.Json;
import dev.berth.image.api.Manifest;
import dev.berth.image.api.MediaTypes;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The on-disk store, an OCI image layout under {@code root}:
 * <pre>
 * oci-layout, index.json        OCI image-layout (skopeo/umoci read it as oci:ROOT:NAME)
 * blobs/sha256/HEX              content, verified while streaming, renamed in atomically
 * ingest/                       blobs being written (removed at start-up)
 * snapshots/sha256/HEX/         unpacked layers by chain ID (see Snapshotter)
 * containers/ID/                overlay upper/work/merged per container
 * provenance/HEX.json           where each layer of manifest HEX came from
 * .lock                         held while index.json is rewritten and during prune
 * </pre>
 * Names live in index.json as {@code org.opencontainers.image.ref.name} = the full normalised
 * reference ({@code docker.io/library/busybox:latest}). index.json is rewritten via temp + rename.
 */
public final class Store {
    public static final String REF_NAME = "org.opencontainers.image.ref.name";
    public static final Path DEFAULT_ROOT = Path.of("/var/lib/berth");

    private final Path root;
    private final Object jvmLock = new Object();

    private Store(Path root) { this.root = root; }

    /** Root from {@code --root}, else {@code $BERTH_ROOT}, else /var/lib/berth. */
    public static Path defaultRoot(String option) {
        if (option != null && !option.isBlank()) return Path.of(option);
        String env = System.getenv("BERTH_ROOT");
        return env != null && !env.isBlank() ? Path.of(env) : DEFAULT_ROOT;
    }

    /** The store's own directories, made 0700 (only root may reach them). */
    static final List<String> PRIVATE_DIRS = List.of("blobs", "blobs/sha256", "ingest", "snapshots", "snapshots/sha256",
            "snapshots/tmp", "containers", "provenance");

    /**
     * Opens (creating if needed) the store and removes leftovers of a crashed process. A new root and
     * the store's directories are made 0700 (mkdir with that mode: no moment when they are open), and
     * an existing store's directories are set to 0700 here: image layers and containers hold
     * setuid-root binaries and private files that no other host user may reach (as Docker's data
     * root). An existing root keeps its mode (it may be the user's own directory).
     */
    public static Store open(Path root) {
        Store s = new Store(root.toAbsolutePath().normalize());
        try {
            // a new root too; an existing one keeps its mode (it may be the user's own directory,
            // --root /tmp/x): the directories below are what keep the content from other users
            if (!Files.exists(s.root)) {
                if (s.root.getParent() != null) Files.createDirectories(s.root.getParent());
                mkdirPrivate(s.root);
            }
            for (String d : PRIVATE_DIRS) mkdirPrivate(s.root.resolve(d));
            Path layout = s.root.resolve("oci-layout");
            if (!Files.exists(layout)) s.writeAtomic(layout, "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8));
            if (!Files.exists(s.indexPath())) s.writeIndex(new Index(2, MediaTypes.OCI_INDEX, List.of(), null));
            s.withLock(() -> {
                try { s.cleanLeftovers(); } catch (IOException e) { throw new UncheckedIOException(e); }
                return null;
            });
        } catch (IOException e) {
            throw new ImageException.Store("cannot open store " + root + ": " + e.getMessage(), e);
        }
        return s;
    }

    private static final java.nio.file.attribute.FileAttribute<?> OWNER_ONLY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

    /** Creates {@code dir} 0700 (never open, not even for a moment), or sets an existing one to 0700. */
    public static void mkdirPrivate(Path dir) throws IOException {
        try {
            Files.createDirectory(dir, OWNER_ONLY);   // the umask can only take bits away
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(dir)) throw e;
        }
        int mode = (Integer) Files.getAttribute(dir, "unix:mode");
        if ((mode & 07777) != 0700) Files.setAttribute(dir, "unix:mode", 0700);
    }

    public Path root() { return root; }
    public Path indexPath() { return root.resolve("index.json"); }
    public Path blobPath(Digest d) {
        if (!d.algorithm().equals("sha256")) throw new ImageException.InvalidReference("only sha256 blobs are stored: " + d);
        return root.resolve("blobs").resolve(d.algorithm()).resolve(d.hex());
    }
    public Path snapshotsDir() { return root.resolve("snapshots"); }
    public Path containersDir() { return root.resolve("containers"); }

    /** Removes temp files of interrupted ingests and unpacks. Temp dirs of live processes are locked by them... */
    private void cleanLeftovers() throws IOException {
        deleteChildren(root.resolve("ingest"));
        deleteChildren(root.resolve("snapshots/tmp"));
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root, ".index.json.*")) {
            for (Path p : ds) Files.deleteIfExists(p);
        }
    }

    private static void deleteChildren(Path dir) throws IOException { dev.berth.image.tar.Dir.deleteChildren(dir); }

    /**
     * Deletes a tree of any depth without following symlinks (descriptor-relative, iterative:
     * see {@link dev.berth.image.tar.Dir}); a missing {@code p} is not an error.
     */
    public static void deleteTree(Path p) throws IOException { dev.berth.image.tar.Dir.deleteTree(p); }

    // ---- locking -------------------------------------------------------------------------

    /** Runs {@code body} holding the store lock (this JVM and other processes). */
    public <T> T withLock(Supplier<T> body) {
        synchronized (jvmLock) {
            try (FileChannel ch = FileChannel.open(root.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = ch.lock()) {
                return body.get();
            } catch (IOException e) {
                throw new ImageException.Store("cannot lock store " + root + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * Marks an operation that adds content (pull, import, load, commit): prune waits for it to end,
     * so it never deletes blobs or snapshots not yet named. Use with try-with-resources.
     */
    public Adding adding() {
        AutoCloseable c = GcLock.of(root).adding();
        return () -> { try { c.close(); } catch (Exception e) { throw new IllegalStateException(e); } };
    }

    /** An {@link #adding()} scope. */
    public interface Adding extends AutoCloseable { @Override void close(); }

    /** Runs a collection (prune) when no content is being added, here or in another process. */
    public <T> T collecting(Supplier<T> body) { return GcLock.of(root).collecting(() -> withLock(body)); }

    // ---- blobs ---------------------------------------------------------------------------

    public boolean hasBlob(Digest d) { return Files.isRegularFile(blobPath(d)); }

    public long blobSize(Digest d) {
        try { return Files.size(blobPath(d)); }
        catch (NoSuchFileException e) { throw new ImageException.NotFound("blob " + d + " not in store"); }
        catch (IOException e) { throw new ImageException.Store("cannot stat blob " + d + ": " + e.getMessage(), e); }
    }

    public InputStream openBlob(Digest d) {
        try { return Files.newInputStream(blobPath(d)); }
        catch (NoSuchFileException e) { throw new ImageException.NotFound("blob " + d + " not in store"); }
        catch (IOException e) { throw new ImageException.Store("cannot read blob " + d + ": " + e.getMessage(), e); }
    }

    public byte[] readBlob(Digest d) {
        try {
            byte[] b = Files.readAllBytes(blobPath(d));
            Digest actual = Digest.of(b);
            if (!actual.equals(d)) throw new ImageException.DigestMismatch("blob " + d + " is corrupt: it hashes to " + actual);
            return b;
        } catch (NoSuchFileException e) {
            throw new ImageException.NotFound("blob " + d + " not in store");
        } catch (IOException e) {
            throw new ImageException.Store("cannot read blob " + d + ": " + e.getMessage(), e);
        }
    }

    /** A writer to a fresh temp file, or resuming {@code resumeName} if given and present. */
    public IngestWriter newIngest(String resumeName) {
        try {
            Path temp = root.resolve("ingest").resolve(resumeName != null ? resumeName : UUID.randomUUID().toString());
            return new IngestWriter(this, temp);
        } catch (IOException e) {
            throw new ImageException.Store("cannot create ingest file in " + root + ": " + e.getMessage(), e);
        }
    }

    /** Streams {@code in} into the store, verifying digest (and size when >= 0) as it goes. */
    public Digest putBlob(InputStream in, Digest expected, long expectedSize) {
        if (expected != null && hasBlob(expected)) return expected;
        IngestWriter w = newIngest(null);
        try {
            w.copyFrom(in, null);
        } catch (IOException e) {
            w.abort();
            throw new ImageException.Store("cannot write blob " + (expected != null ? expected : "") + ": " + e.getMessage(), e);
        }
        return w.commit(expected, expectedSize);
    }

    public Digest putBlob(byte[] content) {
        return putBlob(new java.io.ByteArrayInputStream(content), null, content.length);
    }

    // ---- index.json and names ------------------------------------------------------------

    public Index readIndex() {
        try {
            return Json.read(Files.readAllBytes(indexPath()), Index.class, "index.json");
        } catch (IOException e) {
            throw new ImageException.Store("cannot read " + indexPath() + ": " + e.getMessage(), e);
        }
    }

    private void writeIndex(Index idx) throws IOException { writeAtomic(indexPath(), Json.write(idx)); }

    /** Writes a file via temp + fsync + rename. */
    public void writeAtomic(Path target, byte[] content) throws IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID());
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(content));
            ch.force(true);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Applies {@code change} to index.json's manifest list under the lock. */
    public void updateIndex(Function<List<Descriptor>, List<Descriptor>> change) {
        withLock(() -> {
            try {
                Index idx = readIndex();
                writeIndex(new Index(2, MediaTypes.OCI_INDEX, change.apply(new ArrayList<>(idx.manifests())), idx.annotations()));
                return null;
            } catch (IOException e) {
                throw new ImageException.Store("cannot write " + indexPath() + ": " + e.getMessage(), e);
            }
        });
    }

    /** Names → manifest descriptor (only named entries). */
    public Map<ImageReference, Descriptor> names() {
        Map<ImageReference, Descriptor> out = new LinkedHashMap<>();
        for (Descriptor d : readIndex().manifests()) {
            String n = d.annotation(REF_NAME);
            if (n == null) continue;
            try { out.put(ImageReference.parse(n), d); } catch (ImageException ignored) { /* foreign name (bare tag) */ }
        }
        return out;
    }

    /** Points {@code ref} at {@code manifest} (replacing what it named). */
    public void tag(ImageReference ref, Descriptor manifest) {
        if (ref.tag() == null) throw new ImageException.InvalidReference("cannot tag by digest: " + ref);
        if (!hasBlob(manifest.digestValue())) throw new ImageException.NotFound("manifest " + manifest.digest() + " not in store");
        String name = ref.toString();
        Descriptor named = new Descriptor(manifest.mediaType(), manifest.digest(), manifest.size(),
                Map.of(REF_NAME, name), manifest.platform(), null);
        updateIndex(list -> {
            list.removeIf(d -> name.equals(d.annotation(REF_NAME))
                    || (d.annotation(REF_NAME) == null && d.digest().equals(manifest.digest())));
            list.add(named);
            return list;
        });
    }

    /** Keeps an unnamed manifest in the index (so GC keeps it), unless already there. */
    public void addUntagged(Descriptor manifest) {
        updateIndex(list -> {
            if (list.stream().noneMatch(d -> d.digest().equals(manifest.digest())))
                list.add(new Descriptor(manifest.mediaType(), manifest.digest(), manifest.size(), null, manifest.platform(), null));
            return list;
        });
    }

    /** Removes a name; returns whether it existed. */
    public boolean untag(ImageReference ref) {
        String name = ref.toString();
        boolean[] found = {false};
        updateIndex(list -> { found[0] = list.removeIf(d -> name.equals(d.annotation(REF_NAME))); return list; });
        return found[0];
    }

    /** Removes every index entry for a manifest digest. */
    public int removeManifest(Digest digest) {
        int[] n = {0};
        updateIndex(list -> { int before = list.size(); list.removeIf(d -> d.digest().equals(digest.toString())); n[0] = before - list.size(); return list; });
        return n[0];
    }

    /**
     * Finds an image: a name ({@code busybox}), a full or short ({@code 12 hex}) manifest or config
     * digest. NotFound names what was asked.
     */
    public Descriptor resolve(String what) {
        List<Descriptor> all = readIndex().manifests();
        if (Digest.isDigest(what)) {
            for (Descriptor d : all) if (d.digest().equals(what)) return d;
            for (Descriptor d : all) if (configDigestOf(d).toString().equals(what)) return d;
            throw new ImageException.NotFound("no such image: " + what);
        }
        if (what.matches("[a-f0-9]{12,64}")) {
            Descriptor found = null;
            for (Descriptor d : all) {
                if (d.digestValue().hex().startsWith(what) || configDigestOf(d).hex().startsWith(what)) {
                    if (found != null && !found.digest().equals(d.digest()))
                        throw new ImageException.InvalidReference("ambiguous image id prefix: " + what);
                    found = d;
                }
            }
            if (found != null) return found;
        }
        ImageReference ref;
        try { ref = ImageReference.parse(what); }
        catch (ImageException.InvalidReference e) { throw new ImageException.NotFound("no such image: " + what); }
        if (ref.digest() != null) {
            for (Descriptor d : all) if (d.digest().equals(ref.digest().toString())) return d;
            throw new ImageException.NotFound("no such image: " + what);
        }
        Descriptor d = names().get(ref);
        if (d == null) throw new ImageException.NotFound("no such image: " + ref.familiar());
        return d;
    }

    // ---- manifests and configs -----------------------------------------------------------

    public Manifest manifest(Descriptor d) {
        if (!MediaTypes.isManifest(d.mediaType()))
            throw new ImageException.BadManifest("not an image manifest: " + d.digest() + " (" + d.mediaType() + ")");
        return Json.read(readBlob(d.digestValue()), Manifest.class, "manifest " + d.digest());
    }

    public ObjectNode config(Manifest m) {
        return Json.read(readBlob(m.config().digestValue()), ObjectNode.class, "config " + m.config().digest());
    }

    public Digest configDigestOf(Descriptor d) {
        try { return manifest(d).config().digestValue(); }
        catch (ImageException e) { return d.digestValue(); }
    }

    /** The config's rootfs.diff_ids. */
    public static List<Digest> diffIds(ObjectNode config) {
        List<Digest> out = new ArrayList<>();
        var ids = config.path("rootfs").path("diff_ids");
        for (var n : ids) out.add(Digest.parse(n.asText()));
        return out;
    }

    /** All names pointing at a manifest digest. */
    public List<ImageReference> namesOf(Digest manifest) {
        List<ImageReference> out = new ArrayList<>();
        names().forEach((r, d) -> { if (d.digest().equals(manifest.toString())) out.add(r); });
        return out;
    }

    // ---- provenance ----------------------------------------------------------------------

    public void writeProvenance(Digest manifest, Provenance p) {
        try { writeAtomic(root.resolve("provenance").resolve(manifest.hex() + ".json"), Json.write(p)); }
        catch (IOException e) { throw new ImageException.Store("cannot write provenance: " + e.getMessage(), e); }
    }

    public Provenance provenance(Digest manifest) {
        Path p = root.resolve("provenance").resolve(manifest.hex() + ".json");
        try { return Json.read(Files.readAllBytes(p), Provenance.class, "provenance " + p); }
        catch (NoSuchFileException e) { return null; }
        catch (IOException e) { throw new UncheckedIOException(e); }
    }

    public Map<String, Provenance.Layer> knownLayerSources() {
        Map<String, Provenance.Layer> out = new HashMap<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root.resolve("provenance"), "*.json")) {
            for (Path p : ds) {
                Provenance pr = Json.read(Files.readAllBytes(p), Provenance.class, "provenance " + p);
                for (Provenance.Layer l : pr.layers()) out.putIfAbsent(l.digest(), l);
            }
        } catch (IOException e) { throw new UncheckedIOException(e); }
        return out;
    }
}
