package dev.berth.image.tar;

import com.github.luben.zstd.ZstdInputStream;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.MediaTypes;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

/** Layer compression, detected from the first bytes (media types lie; magic numbers do not). */
public enum Compression {
    NONE(MediaTypes.OCI_LAYER), GZIP(MediaTypes.OCI_LAYER_GZIP), ZSTD(MediaTypes.OCI_LAYER_ZSTD);

    public final String ociMediaType;
    Compression(String mt) { this.ociMediaType = mt; }

    /** Peeks at {@code in} (must support mark). */
    public static Compression detect(InputStream in) throws IOException {
        in.mark(4);
        byte[] m = in.readNBytes(4);
        in.reset();
        if (m.length >= 2 && (m[0] & 0xff) == 0x1f && (m[1] & 0xff) == 0x8b) return GZIP;
        if (m.length == 4 && (m[0] & 0xff) == 0x28 && (m[1] & 0xff) == 0xb5 && (m[2] & 0xff) == 0x2f && (m[3] & 0xff) == 0xfd) return ZSTD;
        return NONE;
    }

    /** Detects and wraps {@code raw} into the uncompressed stream. */
    public static InputStream decompress(InputStream raw) {
        try {
            InputStream in = raw.markSupported() ? raw : new BufferedInputStream(raw, 1 << 16);
            return switch (detect(in)) {
                case GZIP -> new GZIPInputStream(in, 1 << 16);
                case ZSTD -> new ZstdInputStream(in);
                case NONE -> in;
            };
        } catch (IOException e) {
            throw new ImageException.UnsafeArchive(null, "corrupt compressed layer: " + e.getMessage(), e);
        }
    }

    public static Compression of(InputStream raw) throws IOException {
        InputStream in = raw.markSupported() ? raw : new BufferedInputStream(raw);
        return detect(in);
    }
}
