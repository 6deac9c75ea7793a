package dev.berth.image.archive;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.image.api.Descriptor;
import dev.berth.image.api.Digest;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.ImageReference;
import dev.berth.image.api.Index;
import dev.berth.image.api.Json;
import dev.berth.image.api.Manifest;
import dev.berth.image.api.MediaTypes;
import dev.berth.image.api.Platform;
import dev.berth.image.store.LayerBlobs;
import dev.berth.image.store.Provenance;
import dev.berth.image.store.Store;
import dev.berth.image.tar.Compression;
import dev.berth.image.tar.LayerExtractor;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * {@code load}: reads a {@code docker save} archive (manifest.json, old {@code ID/layer.tar} or new
 * {@code blobs/sha256/} form) or an OCI archive / OCI layout directory (oci-layout, index.json).
 * Blobs stream straight into the store, verified against their names; small JSON files are kept in
 * memory; symlinks inside the archive are only aliases between names. An image is named only once
 * all of the archive's images are present and valid, so a failed load leaves no image; the caller
 * removes the blobs it stored ({@link #stored}). Descriptor sizes are checked against the bytes.
 */
public final class ArchiveLoader {
    private static final Pattern BLOB = Pattern.compile("blobs/(sha256)/([a-f0-9]{64})");

    @JsonIgnoreProperties(ignoreUnknown = true)
    record DockerEntry(@JsonProperty("Config") String config, @JsonProperty("RepoTags") List<String> repoTags,
                       @JsonProperty("Layers") List<String> layers) {}

    private final Store store;
    private final Platform platform;
    private final Map<String, byte[]> small = new HashMap<>();
    private final Map<String, Digest> blobs = new HashMap<>();
    private final Map<String, String> aliases = new HashMap<>();
    private final Set<Digest> stored = new LinkedHashSet<>();
    private final List<Runnable> naming = new ArrayList<>();
    private String source;

    public ArchiveLoader(Store store, Platform platform) { this.store = store; this.platform = platform; }

    /** Loads a tar (optionally compressed) archive or an OCI layout directory; returns the manifests loaded. */
    public List<Loaded> load(Path path, String name) {
        source = path.toString();
        try {
            if (Files.isDirectory(path)) readDirectory(path);
            else try (InputStream raw = new BufferedInputStream(Files.newInputStream(path), 1 << 16)) { readTar(Compression.decompress(raw)); }
        } catch (IOException e) {
            throw new ImageException.Store("cannot read " + path + ": " + e.getMessage(), e);
        }
        if (has("manifest.json")) return named(loadDocker());
        if (has("index.json")) return named(loadOci(name));
        throw new ImageException.BadManifest(path + " is neither a docker save archive (no manifest.json) nor an OCI archive (no index.json)");
    }

    public record Loaded(Descriptor manifest, List<ImageReference> names) {}

    /**
     * Every blob this load put into the store (some may have been there already): what the caller
     * removes, where nothing references it, when the load fails.
     */
    public Set<Digest> stored() { return Collections.unmodifiableSet(stored); }

    /** Names the images only once every image of the archive has been read and checked. */
    private List<Loaded> named(List<Loaded> loaded) {
        naming.forEach(Runnable::run);
        return loaded;
    }

    private Digest put(InputStream in, Digest expected, long size) {
        Digest d = store.putBlob(in, expected, size);
        stored.add(d);
        return d;
    }

    private Digest put(byte[] content) {
        Digest d = store.putBlob(content);
        stored.add(d);
        return d;
    }

    /** A descriptor's size against the bytes its blob holds: a mismatch names the digest and both sizes. */
    private static void checkSize(String what, Descriptor d, long actual, String where) {
        if (d.size() != actual)
            throw new ImageException.BadManifest(what + " " + d.digest() + " is " + actual + " bytes but " + where + " says " + d.size());
    }

    public List<Loaded> load(InputStream tar, String name, String sourceName) {
        source = sourceName;
        readTar(Compression.decompress(tar));
        if (has("manifest.json")) return named(loadDocker());
        if (has("index.json")) return named(loadOci(name));
        throw new ImageException.BadManifest(sourceName + " is neither a docker save archive nor an OCI archive");
    }

    private void readTar(InputStream in) {
        TarArchiveInputStream tar = new TarArchiveInputStream(in);
        TarArchiveEntry e;
        String current = null;
        try {
            while ((e = tar.getNextEntry()) != null) {
                current = e.getName();
                String n = LayerExtractor.clean(e.getName());
                if (e.isSymbolicLink() || e.isLink()) {
                    String t = e.isLink() ? LayerExtractor.clean(e.getLinkName())
                            : LayerExtractor.clean(resolveRelative(n, e.getLinkName()));
                    aliases.put(n, t);
                } else if (e.isFile()) {
                    file(n, tar, e.getSize());
                }
            }
        } catch (IOException ex) {
            throw new ImageException.UnsafeArchive(current, "corrupt or truncated archive: " + ex.getMessage(), ex);
        }
    }

    private static String resolveRelative(String from, String link) {
        if (link.startsWith("/")) throw new ImageException.UnsafeArchive(from, "absolute symlink in image archive");
        int i = from.lastIndexOf('/');
        String dir = i < 0 ? "" : from.substring(0, i);
        List<String> parts = new ArrayList<>(dir.isEmpty() ? List.of() : List.of(dir.split("/")));
        for (String c : link.split("/")) {
            if (c.isEmpty() || c.equals(".")) continue;
            if (c.equals("..")) {
                if (parts.isEmpty()) throw new ImageException.UnsafeArchive(from, "symlink points out of the archive: " + link);
                parts.removeLast();
            } else parts.add(c);
        }
        return String.join("/", parts);
    }

    private void readDirectory(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (!Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) continue;
                String n = dir.relativize(p).toString();
                try (InputStream in = Files.newInputStream(p)) { file(n, in, Files.size(p)); }
            }
        }
    }

    private void file(String n, InputStream in, long size) throws IOException {
        Matcher m = BLOB.matcher(n);
        if (m.matches()) {
            Digest d = new Digest(m.group(1), m.group(2));
            try {
                blobs.put(n, put(in, d, size));
            } catch (ImageException.DigestMismatch x) {
                throw new ImageException.DigestMismatch("archive entry " + n + ": " + x.getMessage());
            }
        } else if (size <= 16 << 20 && (n.endsWith(".json") || n.equals("repositories") || n.equals("oci-layout") || !n.endsWith(".tar"))) {
            small.put(n, in.readAllBytes());
        } else {
            blobs.put(n, put(in, null, size));
        }
    }

    private String canonical(String n) {
        String c = LayerExtractor.clean(n);
        for (int i = 0; i < 16 && aliases.containsKey(c); i++) c = aliases.get(c);
        return c;
    }

    private boolean has(String n) { String c = canonical(n); return small.containsKey(c) || blobs.containsKey(c); }

    private byte[] bytes(String n) {
        String c = canonical(n);
        if (small.containsKey(c)) return small.get(c);
        if (blobs.containsKey(c)) return store.readBlob(blobs.get(c));
        throw new ImageException.BadManifest("archive " + source + " lacks " + n);
    }

    private Digest blob(String n) {
        String c = canonical(n);
        if (blobs.containsKey(c)) return blobs.get(c);
        if (small.containsKey(c)) return put(small.get(c));
        throw new ImageException.BadManifest("archive " + source + " lacks layer " + n);
    }

    private List<Loaded> loadDocker() {
        DockerEntry[] entries = Json.read(bytes("manifest.json"), DockerEntry[].class, "manifest.json");
        List<Loaded> out = new ArrayList<>();
        for (DockerEntry de : entries) {
            if (de.config() == null || de.layers() == null) throw new ImageException.BadManifest("manifest.json entry without Config or Layers");
            byte[] cfgBytes = bytes(de.config());
            ObjectNode cfg = Json.read(cfgBytes, ObjectNode.class, "config " + de.config());
            List<Digest> diffIds = Store.diffIds(cfg);
            if (diffIds.size() != de.layers().size())
                throw new ImageException.BadManifest("config " + de.config() + " lists " + diffIds.size() + " diff_ids for " + de.layers().size() + " layers");
            Digest cfgDigest = put(cfgBytes);
            List<Descriptor> layers = new ArrayList<>();
            List<Provenance.Layer> prov = new ArrayList<>();
            for (int i = 0; i < de.layers().size(); i++) {
                String ln = de.layers().get(i);
                Digest d = blob(ln);
                Compression c;
                try (InputStream in = new BufferedInputStream(store.openBlob(d))) { c = Compression.of(in); }
                catch (IOException x) { throw new ImageException.Store("cannot read layer " + ln + ": " + x.getMessage(), x); }
                Digest diff = c == Compression.NONE ? d : LayerBlobs.diffIdOf(store, d);
                if (!diff.equals(diffIds.get(i)))
                    throw new ImageException.DigestMismatch("layer " + ln + " has diff ID " + diff + " but the config says " + diffIds.get(i));
                layers.add(Descriptor.of(c.ociMediaType, d, store.blobSize(d)));
                prov.add(Provenance.Layer.local("load", d.toString(), diff.toString(), source + ":" + ln));
            }
            Manifest m = new Manifest(2, MediaTypes.OCI_MANIFEST, Descriptor.of(MediaTypes.OCI_CONFIG, cfgDigest, cfgBytes.length), layers, null);
            byte[] mb = Json.write(m);
            Digest md = put(mb);
            Descriptor desc = Descriptor.of(MediaTypes.OCI_MANIFEST, md, mb.length);
            List<ImageReference> names = new ArrayList<>();
            if (de.repoTags() != null) for (String t : de.repoTags()) names.add(ImageReference.parse(t));
            finish(desc, names, prov);
            out.add(new Loaded(desc, names));
        }
        return out;
    }

    private List<Loaded> loadOci(String nameOverride) {
        Index idx = Json.read(bytes("index.json"), Index.class, "index.json");
        List<Loaded> out = new ArrayList<>();
        for (Descriptor d : idx.manifests()) {
            Descriptor md = d;
            String listedIn = "index.json";
            if (MediaTypes.isIndex(d.mediaType())) {
                byte[] ib = bytes("blobs/sha256/" + d.digestValue().hex());
                checkSize("index", d, ib.length, listedIn);
                Index child = Json.read(ib, Index.class, "index " + d.digest());
                md = child.select(platform);
                listedIn = "index " + d.digest();
            }
            if (!MediaTypes.isManifest(md.mediaType()))
                throw new ImageException.BadManifest("index.json entry " + md.digest() + " has wrong media type: " + md.mediaType());
            byte[] mb = bytes("blobs/sha256/" + md.digestValue().hex());
            checkSize("manifest", md, mb.length, listedIn);
            Manifest m = Json.read(mb, Manifest.class, "manifest " + md.digest());
            requireBlob(md, m.config());
            List<Provenance.Layer> prov = new ArrayList<>();
            for (Descriptor l : m.layers()) {
                requireBlob(md, l);
                prov.add(Provenance.Layer.local("load", l.digest(), null, source + ":blobs/sha256/" + l.digestValue().hex()));
            }
            List<ImageReference> names = new ArrayList<>();
            String ref = d.annotation(Store.REF_NAME);
            String full = d.annotation("io.containerd.image.name");
            if (nameOverride != null) {
                ImageReference base = ImageReference.parse(nameOverride);
                names.add(ref != null && ref.matches("[\\w][\\w.-]{0,127}") && nameOverride.lastIndexOf(':') <= nameOverride.lastIndexOf('/')
                        ? base.withTag(ref) : base);
            } else if (full != null) {
                names.add(ImageReference.parse(full));
            } else if (ref != null && (ref.contains("/") || ref.contains(":"))) {
                names.add(ImageReference.parse(ref));
            }
            Descriptor plain = new Descriptor(md.mediaType(), md.digest(), md.size(), null, md.platform(), null);
            finish(plain, names, prov);
            out.add(new Loaded(plain, names));
        }
        return out;
    }

    private void requireBlob(Descriptor manifest, Descriptor d) {
        String n = "blobs/sha256/" + d.digestValue().hex();
        if (!has(n) && !store.hasBlob(d.digestValue()))
            throw new ImageException.BadManifest("manifest " + manifest.digest() + " references missing blob " + d.digest());
        Digest stored = blob(n);
        if (store.blobSize(stored) != d.size())
            throw new ImageException.BadManifest("blob " + d.digest() + " is " + store.blobSize(stored) + " bytes, manifest says " + d.size());
    }

    private void finish(Descriptor desc, List<ImageReference> names, List<Provenance.Layer> prov) {
        naming.add(() -> name(desc, names, prov));
    }

    private void name(Descriptor desc, List<ImageReference> names, List<Provenance.Layer> prov) {
        store.writeProvenance(desc.digestValue(), new Provenance(names.isEmpty() ? null : names.getFirst().toString(), desc.digest(), prov));
        if (names.isEmpty()) store.addUntagged(desc);
        for (ImageReference r : names) store.tag(r, desc);
    }
}
