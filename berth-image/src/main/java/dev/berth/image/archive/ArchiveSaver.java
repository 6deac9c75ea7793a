package dev.berth.image.archive;

import dev.berth.image.api.Descriptor;
import dev.berth.image.api.Digest;
import dev.berth.image.api.ImageReference;
import dev.berth.image.api.Index;
import dev.berth.image.api.Json;
import dev.berth.image.api.Manifest;
import dev.berth.image.api.MediaTypes;
import dev.berth.image.store.Store;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * {@code save}: writes images as one tar that is both an OCI archive (oci-layout, index.json,
 * blobs/sha256) and a {@code docker save} archive (manifest.json, repositories), as docker 25+
 * does; {@code ociOnly} leaves out the docker files.
 */
public final class ArchiveSaver {
    private ArchiveSaver() {}

    public record Item(Descriptor manifest, List<ImageReference> names) {}

    public static void save(Store store, List<Item> items, boolean ociOnly, OutputStream out) throws IOException {
        TarArchiveOutputStream tar = new TarArchiveOutputStream(out);
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        Set<Digest> written = new HashSet<>();
        List<Descriptor> index = new ArrayList<>();
        List<Map<String, Object>> docker = new ArrayList<>();
        Map<String, Map<String, String>> repositories = new LinkedHashMap<>();
        dir(tar, "blobs/");
        dir(tar, "blobs/sha256/");
        for (Item it : items) {
            Manifest m = store.manifest(it.manifest());
            blob(store, tar, it.manifest().digestValue(), written);
            blob(store, tar, m.config().digestValue(), written);
            List<String> layers = new ArrayList<>();
            for (Descriptor l : m.layers()) {
                blob(store, tar, l.digestValue(), written);
                layers.add("blobs/sha256/" + l.digestValue().hex());
            }
            if (it.names().isEmpty()) index.add(plain(it.manifest(), null));
            for (ImageReference r : it.names()) index.add(plain(it.manifest(), r));
            Map<String, Object> de = new LinkedHashMap<>();
            de.put("Config", "blobs/sha256/" + m.config().digestValue().hex());
            de.put("RepoTags", it.names().stream().map(ImageReference::familiar).toList());
            de.put("Layers", layers);
            docker.add(de);
            for (ImageReference r : it.names()) {
                String top = m.layers().isEmpty() ? "" : m.layers().getLast().digestValue().hex();
                repositories.computeIfAbsent(r.withTag(null).familiar().replace(":latest", ""), k -> new LinkedHashMap<>()).put(r.tag(), top);
            }
        }
        file(tar, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8));
        file(tar, "index.json", Json.write(new Index(2, MediaTypes.OCI_INDEX, index, null)));
        if (!ociOnly) {
            file(tar, "manifest.json", Json.write(docker));
            if (!repositories.isEmpty()) file(tar, "repositories", Json.write(repositories));
        }
        tar.finish();
        tar.flush();
    }

    private static Descriptor plain(Descriptor d, ImageReference name) {
        Map<String, String> a = name == null ? null : Map.of(Store.REF_NAME, name.toString(), "io.containerd.image.name", name.toString());
        return new Descriptor(d.mediaType(), d.digest(), d.size(), a, null, null);
    }

    private static void dir(TarArchiveOutputStream tar, String name) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setModTime(0);
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
    }

    private static void file(TarArchiveOutputStream tar, String name, byte[] b) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(b.length);
        e.setMode(0100644);
        e.setModTime(0);
        tar.putArchiveEntry(e);
        tar.write(b);
        tar.closeArchiveEntry();
    }

    private static void blob(Store store, TarArchiveOutputStream tar, Digest d, Set<Digest> written) throws IOException {
        if (!written.add(d)) return;
        TarArchiveEntry e = new TarArchiveEntry("blobs/sha256/" + d.hex());
        e.setSize(store.blobSize(d));
        e.setMode(0100644);
        e.setModTime(0);
        tar.putArchiveEntry(e);
        try (InputStream in = store.openBlob(d)) { in.transferTo(tar); }
        tar.closeArchiveEntry();
    }
}
