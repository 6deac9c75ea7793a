package dev.berth.image.registry;

import dev.berth.image.api.Descriptor;
import dev.berth.image.api.Digest;
import dev.berth.image.api.ImageException;
import dev.berth.image.store.IngestWriter;
import dev.berth.image.store.Store;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Set;
import java.util.function.LongConsumer;

/**
 * GET /v2/NAME/blobs/DIGEST into the store. The bytes go to an ingest file while hashed; when the
 * connection breaks the caller retries this same endpoint, which asks for {@code Range: bytes=N-}
 * and continues (or starts over if the registry ignores the range). Digest and size are checked
 * at the end; a mismatch leaves nothing.
 */
public final class BlobPuller implements RegistryEndpoint<Digest> {
    private final Store store;
    private final String repository;
    private final Descriptor blob;
    private final LongConsumer progress;
    private IngestWriter writer;
    private ChunkPipe tee;
    private long resumedAt = -1;
    static final int CHUNK = 1 << 18;

    public BlobPuller(Store store, String repository, Descriptor blob, LongConsumer progress) {
        this.store = store; this.repository = repository; this.blob = blob; this.progress = progress;
    }

    /** Also hands every byte to {@code pipe} (unpack while downloading). */
    BlobPuller teeTo(ChunkPipe pipe) { this.tee = pipe; return this; }

    /** Offset the last resumed request started at (-1: never resumed). */
    public long resumedAt() { return resumedAt; }

    @Override public String describe() { return "pull blob " + repository + "@" + blob.digest(); }
    @Override public List<String> scopes() { return List.of(RegistryEndpoint.pull(repository)); }
    @Override public Set<Integer> ok() { return Set.of(200, 206); }

    @Override public HttpRequest.Builder request(URI base) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve("/v2/" + repository + "/blobs/" + blob.digest())).GET();
        if (writer != null && writer.written() > 0 && writer.written() < blob.size()) {
            b.header("Range", "bytes=" + writer.written() + "-");
            resumedAt = writer.written();
        }
        return b;
    }

    @Override public Digest handle(HttpResponse<InputStream> r) throws IOException {
        if (writer == null || r.statusCode() == 200 && writer.written() > 0) {
            if (writer != null) {
                writer.abort();
                if (tee != null) tee.restarted();
            }
            writer = store.newIngest(null);
        }
        try (InputStream in = r.body()) {
            // Whole chunks (readNBytes fills the buffer): one write, one hash update and one pipe
            // hand-over per CHUNK bytes rather than per socket read.
            byte[] buf = new byte[CHUNK];
            int n;
            while ((n = in.readNBytes(buf, 0, buf.length)) > 0) {
                if (tee != null && !tee.wasRestarted()) {
                    // the pipe takes this buffer as it is: read the next chunk into a new one
                    byte[] chunk = buf;
                    buf = new byte[CHUNK];
                    storeAndTee(chunk, n);
                    continue;
                }
                if (writer.written() + n > blob.size()) {
                    writer.abort();
                    writer = null;
                    throw new ImageException.DigestMismatch(describe() + ": registry sent more than the " + blob.size() + " bytes announced; nothing stored");
                }
                writer.write(buf, 0, n);
                if (progress != null) progress.accept(writer.written());
            }
        }
        if (writer.written() < blob.size()) throw new IOException("connection closed after " + writer.written() + " of " + blob.size() + " bytes");
        Digest d = writer.commit(blob.digestValue(), blob.size());
        writer = null;
        return d;
    }

    private void storeAndTee(byte[] chunk, int n) throws IOException {
        if (writer.written() + n > blob.size()) {
            writer.abort();
            writer = null;
            throw new ImageException.DigestMismatch(describe() + ": registry sent more than the " + blob.size() + " bytes announced; nothing stored");
        }
        writer.write(chunk, 0, n);
        tee.give(chunk, n);
        if (progress != null) progress.accept(writer.written());
    }

    /** Drops a partial download (after the caller gave up). */
    public void abort() { if (writer != null) writer.abort(); }
}
