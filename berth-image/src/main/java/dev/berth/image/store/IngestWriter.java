package dev.berth.image.store;

import dev.berth.image.api.Digest;
import dev.berth.image.api.ImageException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;

/**
 * A blob being written: bytes go to a temp file under {@code ingest/} and through SHA-256 as they
 * stream; {@link #commit} checks digest and size and renames atomically into {@code blobs/}.
 * A writer can be resumed after a failed transfer: the bytes already there are re-hashed.
 */
public final class IngestWriter extends OutputStream {
    private final Store store;
    private final Path temp;
    private final FileChannel channel;
    private final MessageDigest sha = Digest.newSha256();
    private long written;
    private boolean done;

    IngestWriter(Store store, Path temp) throws IOException {
        this.store = store;
        this.temp = temp;
        this.channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ);
        // Resume: hash what is already there.
        ByteBuffer buf = ByteBuffer.allocate(1 << 16);
        long size = channel.size();
        while (written < size) {
            buf.clear();
            int n = channel.read(buf, written);
            if (n < 0) break;
            sha.update(buf.array(), 0, n);
            written += n;
        }
        channel.position(written);
    }

    public long written() { return written; }
    public Path temp() { return temp; }

    @Override public void write(int b) throws IOException { write(new byte[]{(byte) b}, 0, 1); }

    @Override public void write(byte[] b, int off, int len) throws IOException {
        sha.update(b, off, len);
        ByteBuffer buf = ByteBuffer.wrap(b, off, len);
        while (buf.hasRemaining()) channel.write(buf);
        written += len;
    }

    /** Copies all of {@code in}; returns bytes copied. */
    public long copyFrom(InputStream in, java.util.function.LongConsumer progress) throws IOException {
        byte[] buf = new byte[1 << 17];
        long total = 0;
        int n;
        while ((n = in.read(buf)) > 0) {
            write(buf, 0, n);
            total += n;
            if (progress != null) progress.accept(written);
        }
        return total;
    }

    /** Verifies and moves into the store. {@code expected} null means "whatever it hashes to". */
    public Digest commit(Digest expected, long expectedSize) {
        try {
            channel.close();
            Digest actual = Digest.sha256(sha.digest());
            if (expected != null && !expected.equals(actual)) {
                abort();
                throw new ImageException.DigestMismatch("digest mismatch: expected " + expected + ", got " + actual + " (" + written + " bytes); nothing stored");
            }
            if (expectedSize >= 0 && expectedSize != written) {
                abort();
                throw new ImageException.DigestMismatch("size mismatch for " + actual + ": expected " + expectedSize + " bytes, got " + written + "; nothing stored");
            }
            Path target = store.blobPath(actual);
            if (Files.exists(target)) Files.deleteIfExists(temp);
            else Files.move(temp, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            done = true;
            return actual;
        } catch (IOException e) {
            abort();
            throw new ImageException.Store("cannot store blob " + temp + ": " + e.getMessage(), e);
        }
    }

    /** Deletes the temp file. */
    public void abort() {
        if (done) return;
        done = true;
        try { channel.close(); } catch (IOException ignored) {}
        try { Files.deleteIfExists(temp); } catch (IOException ignored) {}
    }

    @Override public void close() { abort(); }
}
