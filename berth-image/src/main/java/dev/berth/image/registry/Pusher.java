package dev.berth.image.registry;

import dev.berth.image.api.Descriptor;
import dev.berth.image.api.Digest;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.ImageReference;
import dev.berth.image.api.Manifest;
import dev.berth.image.store.Provenance;
import dev.berth.image.store.Store;
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
 */
public final class Pusher {
    private final Store store;
    private final RegistryOptions options;

    public Pusher(Store store, RegistryOptions options) { this.store = store; this.options = options; }

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
                        progress.update(id, "Pushing", 0, b.size());
                        c.call(new BlobUploader.Finish(store, repo, s.location(), b.digestValue()));
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
        ImageException last = null;
        for (int attempt = 0; attempt <= options.retries(); attempt++) {
            BlobUploader.Started s = c.call(new BlobUploader.Start(repo, null, null));
            progress.update(id, "Pushing", 0, b.size());
            try {
                c.call(new BlobUploader.Finish(store, repo, s.location(), b.digestValue()));
                return;
            } catch (ImageException.Registry e) {
                if (e.status() != 0 && e.status() < 500) throw e;
                last = e;
            }
        }
        throw last;
    }
}
