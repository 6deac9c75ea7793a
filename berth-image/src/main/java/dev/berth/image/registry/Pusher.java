package dev.berth.image.registry;

import dev.berth.image.api.Descriptor;
import dev.berth.image.api.Digest;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.ImageReference;
import dev.berth.image.api.Manifest;
import dev.berth.image.store.Provenance;
import dev.berth.image.store.Store;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * push: every blob the registry lacks (HEAD first), mounted from another repository of the same
 * registry when provenance says it came from there, else uploaded; then the manifest, same bytes.
 * A blob larger than {@link Chunking#threshold} is uploaded in chunks (PATCH); when a chunk fails,
 * the registry is asked how much it holds (GET on the upload URL) and the upload goes on from
 * there; an upload the registry dropped or refuses to resume is started again. Small blobs go in
 * one PUT, started again on failure.
 */
public final class Pusher {
    /** Blobs larger than {@code threshold} bytes go in chunks of {@code chunkSize} (at least 64 KiB). */
    public record Chunking(long threshold, long chunkSize) {
        public static final Chunking DEFAULT = new Chunking(16 << 20, 16 << 20);
        /** Every blob in one PUT. */
        public static final Chunking NEVER = new Chunking(Long.MAX_VALUE, 16 << 20);

        public Chunking {
            if (threshold < 0) throw new ImageException.InvalidReference("chunk threshold must not be negative: " + threshold);
            if (chunkSize < 64 << 10) throw new ImageException.InvalidReference("chunk size must be at least 64 KiB: " + chunkSize);
        }
    }

    private final Store store;
    private final RegistryOptions options;
    private final Chunking chunking;

    public Pusher(Store store, RegistryOptions options) { this(store, options, Chunking.DEFAULT); }

    public Pusher(Store store, RegistryOptions options, Chunking chunking) {
        this.store = store; this.options = options; this.chunking = chunking;
    }

    /** Pushes local image {@code local} as {@code target}; returns the manifest digest. */
    public Digest push(Descriptor local, ImageReference target, Progress progress) {
        RegistryClient c = new RegistryClient(target.registry(), options);
        String repo = target.repository();
        Manifest m = store.manifest(local);
        Map<String, Provenance.Layer> sources = store.knownLayerSources();
        List<Descriptor> blobs = new ArrayList<>(m.layers());
        blobs.add(m.config());
        // the config travels with its layers: mount it from where they came from
        for (Descriptor l : m.layers()) {
            Provenance.Layer src = sources.get(l.digest());
            if (src != null && "pull".equals(src.source())) {
                sources = new java.util.HashMap<>(sources);
                sources.put(m.config().digest(), src);
                break;
            }
        }
        Map<String, Provenance.Layer> known = sources;
        ExecutorService pool = Executors.newFixedThreadPool(options.parallel(), Thread.ofVirtual().factory());
        try {
            List<Future<?>> jobs = new ArrayList<>();
            for (Descriptor b : blobs) {
                String id = b.digestValue().shortHex();
                progress.update(id, "Preparing", 0, b.size());
                jobs.add(pool.submit(() -> {
                    if (c.call(new BlobChecker(repo, b.digestValue(), true))) { progress.update(id, "Layer already exists", b.size(), b.size()); return null; }
                    Provenance.Layer src = known.get(b.digest());
                    if (src != null && "pull".equals(src.source()) && target.registry().equals(src.registry()) && !repo.equals(src.repository())) {
                        BlobUploader.Started s = c.call(new BlobUploader.Start(repo, b.digestValue(), src.repository()));
                        if (s.mounted()) { progress.update(id, "Mounted from " + src.repository(), b.size(), b.size()); return null; }
                        upload(c, repo, b, progress, id);   // not mounted: a fresh upload (the one the mount started lapses)
                    } else {
                        upload(c, repo, b, progress, id);
                    }
                    progress.update(id, "Pushed", b.size(), b.size());
                    return null;
                }));
            }
            for (Future<?> f : jobs) {
                try { f.get(); }
                catch (ExecutionException e) {
                    if (e.getCause() instanceof RuntimeException r) throw r;
                    throw new ImageException.Registry(0, "push " + target + ": " + e.getCause(), e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ImageException.Registry(0, "push " + target + " interrupted", e);
                }
            }
        } finally {
            pool.shutdownNow();
        }
        byte[] bytes = store.readBlob(local.digestValue());
        String ref = target.digest() != null ? target.digest().toString() : target.tag();
        c.call(new ManifestPusher(repo, ref, bytes, local.mediaType()));
        return local.digestValue();
    }

    private void upload(RegistryClient c, String repo, Descriptor b, Progress progress, String id) {
        if (b.size() > chunking.threshold()) { uploadChunked(c, repo, b, progress, id); return; }
        ImageException last = null;
        for (int attempt = 0; attempt <= options.retries(); attempt++) {
            BlobUploader.Started s = c.call(new BlobUploader.Start(repo, null, null));
            progress.update(id, "Pushing", 0, b.size());
            try {
                c.call(new BlobUploader.Finish(store, repo, s.location(), b.digestValue(), b.size(), n -> progress.update(id, "Pushing", n, b.size())));
                return;
            } catch (ImageException.Registry e) {
                if (e.status() != 0 && e.status() < 500) throw e;
                last = e;
            }
        }
        throw last;
    }

    /** Statuses that mean the upload itself is gone or out of step: start a new one. */
    private static boolean uploadLost(int status) { return status == 400 || status == 404 || status == 416; }

    private static boolean transientFailure(int status) { return status == 0 || status == 429 || status >= 500; }

    private void uploadChunked(RegistryClient c, String repo, Descriptor b, Progress progress, String id) {
        Digest digest = b.digestValue();
        long size = b.size();
        int failures = 0;
        URI loc = c.call(new BlobUploader.Start(repo, null, null)).location();
        long offset = 0;
        progress.update(id, "Pushing", 0, size);
        while (true) {
            boolean closing = false;
            try {
                while (offset < size) {
                    long len = Math.min(chunking.chunkSize(), size - offset);
                    BlobUploader.Upload u = c.call(new BlobUploader.Chunk(store, repo, loc, digest, offset, len,
                            n -> progress.update(id, "Pushing", n, size)));
                    loc = u.location();
                    offset = Math.min(u.received(), size);
                    progress.update(id, "Pushing", offset, size);
                }
                closing = true;
                c.call(BlobUploader.Finish.closing(store, repo, loc, digest));
                return;
            } catch (ImageException.Registry e) {
                if (!transientFailure(e.status()) && !uploadLost(e.status())) throw e;
                if (++failures > options.retries()) throw e;
                // the closing PUT may have landed even though its answer did not
                if (closing && transientFailure(e.status()) && c.call(new BlobChecker(repo, digest, true))) return;
                if (transientFailure(e.status()) && !closing) {
                    try {
                        BlobUploader.Upload st = c.call(new BlobUploader.Status(repo, loc));
                        loc = st.location();
                        offset = Math.min(st.received(), size);
                        progress.update(id, "Pushing", offset, size);
                        continue;   // resume where the registry stands
                    } catch (ImageException.Registry e2) {
                        if (!transientFailure(e2.status()) && !uploadLost(e2.status())) throw e2;
                    }
                }
                loc = c.call(new BlobUploader.Start(repo, null, null)).location();   // start again
                offset = 0;
                progress.update(id, "Pushing", 0, size);
            }
        }
    }
}
