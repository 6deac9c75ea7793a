package dev.berth.image.store;

import dev.berth.image.api.Descriptor;
import dev.berth.image.api.Digest;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.MediaTypes;
import dev.berth.image.tar.Compression;
import dev.berth.image.tar.LayerWriter;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/** Turns directories and tarballs into layer blobs in the store. */
public final class LayerBlobs {
    private LayerBlobs() {}

    /** A stored layer: its descriptor (compressed blob) and diff ID (uncompressed digest). */
    public record Layer(Descriptor descriptor, Digest diffId) {}

    /** Tars {@code dir} (overlay upper form when {@code overlayUpper}), gzips it, stores it. */
    public static Layer fromDirectory(Store store, Path dir, boolean overlayUpper) {
        IngestWriter w = store.newIngest(null);
        MessageDigest diff = Digest.newSha256();
        try {
            OutputStream nonClosing = new java.io.FilterOutputStream(w) {
                @Override public void write(byte[] b, int off, int len) throws IOException { out.write(b, off, len); }
                @Override public void close() throws IOException { flush(); }
            };
            GZIPOutputStream gz = new GZIPOutputStream(nonClosing, 1 << 16) {{ def.setLevel(Deflater.BEST_SPEED); }};
            try (DigestOutputStream dos = new DigestOutputStream(gz, diff)) {
                LayerWriter.write(dir, overlayUpper, dos);
            }
        } catch (IOException e) {
            w.abort();
            throw new ImageException.Store("cannot archive " + dir + ": " + e.getMessage(), e);
        }
        long size = w.written();
        Digest d = w.commit(null, -1);
        return new Layer(Descriptor.of(MediaTypes.OCI_LAYER_GZIP, d, size), Digest.sha256(diff.digest()));
    }

    /** Stores a tarball as it is (tar, tar.gz or tar.zst) and computes its diff ID. */
    public static Layer fromTarball(Store store, Path tarball) {
        Digest d;
        Compression c;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(tarball))) {
            c = Compression.of(in);
            d = store.putBlob(in, null, -1);
        } catch (IOException e) {
            throw new ImageException.Store("cannot read " + tarball + ": " + e.getMessage(), e);
        }
        Digest diffId = c == Compression.NONE ? d : diffIdOf(store, d);
        return new Layer(Descriptor.of(c.ociMediaType, d, store.blobSize(d)), diffId);
    }

    /** Digest of the decompressed blob. */
    public static Digest diffIdOf(Store store, Digest blob) {
        MessageDigest sha = Digest.newSha256();
        byte[] buf = new byte[1 << 17];
        try (InputStream in = Compression.decompress(store.openBlob(blob))) {
            int n;
            while ((n = in.read(buf)) > 0) sha.update(buf, 0, n);
        } catch (IOException e) {
            throw new ImageException.UnsafeArchive(null, "layer " + blob + " is corrupt: " + e.getMessage(), e);
        }
        return Digest.sha256(sha.digest());
    }
}
