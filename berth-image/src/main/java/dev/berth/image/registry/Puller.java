package dev.berth.image.registry;

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
import dev.berth.image.snapshot.SnapshotStore;
import dev.berth.image.store.Provenance;
import dev.berth.image.store.Store;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * pull: manifest (index → the platform's manifest), config, then the layers in parallel, each
 * unpacked into its snapshot as soon as it is downloaded. The name is set last, so an interrupted
 * pull leaves no image (start-up removes partial downloads, prune the orphan blobs).
 */
public final class Puller {
    private final Store store;
    private final SnapshotStore snapshots;
    private final RegistryOptions options;

    public Puller(Store store, SnapshotStore snapshots, RegistryOptions options) {
        this.store = store; this.snapshots = snapshots; this.options = options;
    }

    /** "Downloading" updates, at most one per MiB (and the last): printers format a line each time. */
    private static java.util.function.LongConsumer downloading(Progress progress, String id, long size) {
        long[] last = {-1};
        return n -> {
            if (n >= last[0] && n - last[0] < (1 << 20) && n < size) return;
            last[0] = n;
            progress.update(id, "Downloading", n, size);
        };
    }

    private void download(RegistryClient c, String repo, Descriptor l, String id, Progress progress) {
        BlobPuller p = new BlobPuller(store, repo, l, downloading(progress, id, l.size()));
        try { c.call(p); } catch (RuntimeException e) { p.abort(); throw e; }
    }

    /**
     * Downloads a layer and unpacks it at the same time: the bytes go to the store (hashed) and,
     * through a pipe, to the extractor. The snapshot is put in place only after the blob's digest
     * and the diff ID are both verified; if the download had to start over, the layer is unpacked
     * again from the stored blob.
     */
    private void downloadAndUnpack(RegistryClient c, String repo, Descriptor l, Digest chain, Digest diff, String id, Progress progress) {
        ChunkPipe pipe = new ChunkPipe();
        java.util.concurrent.CompletableFuture<SnapshotStore.Pending> extracted = new java.util.concurrent.CompletableFuture<>();
        Thread extractor = Thread.ofVirtual().start(() -> {
            try (java.io.InputStream in = pipe.input()) {
                extracted.complete(snapshots.extract(chain, l, diff, in));
            } catch (RuntimeException | java.io.IOException e) {
                RuntimeException re = e instanceof RuntimeException r ? r : new java.io.UncheckedIOException((java.io.IOException) e);
                pipe.readerFailed(re);
                extracted.completeExceptionally(re);
            }
        });
        BlobPuller p = new BlobPuller(store, repo, l, downloading(progress, id, l.size())).teeTo(pipe);
        try {
            c.call(p);
            pipe.close();
        } catch (RuntimeException e) {
            p.abort();
            pipe.writerFailed();
            // Wait for the extractor (it fails at its next read, or has finished): when this pull
            // fails, nothing it unpacked is left in snapshots/tmp.
            try {
                extracted.get().abort();
            } catch (ExecutionException failed) {
                // it removed its temp dir itself
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                extracted.thenAccept(SnapshotStore.Pending::abort);
            }
            throw e;
        }
        PullTrace.mark("layer " + id + " downloaded");
        progress.update(id, "Extracting", l.size(), l.size());
        SnapshotStore.Pending pending;
        try {
            pending = extracted.get();
        } catch (ExecutionException e) {
            if (pipe.wasRestarted()) { snapshots.unpack(chain, l, diff); return; }
            if (e.getCause() instanceof ImageException.UnsafeArchive u)   // (it names the layer: SnapshotStore.extract)
                throw u.getMessage().startsWith("layer ") ? u : new ImageException.UnsafeArchive(null, "layer " + l.digest() + ": " + u.getMessage(), u);
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new ImageException.Store("unpack " + l.digest() + ": " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            extractor.interrupt();
            throw new ImageException.Registry(0, "pull interrupted", e);
        }
        pending.commit();
    }

    public Descriptor pull(ImageReference ref, Platform platform, Progress progress) {
        PullTrace.mark("pull " + ref);
        RegistryClient c = new RegistryClient(ref.registry(), options);
        String repo = ref.repository();
        ManifestPuller.Result top = c.call(new ManifestPuller(repo, ref.reference()));
        PullTrace.mark("manifest");
        ManifestPuller.Result man = top;
        if (MediaTypes.isIndex(top.mediaType())) {
            Index idx = Json.read(top.bytes(), Index.class, "index " + top.digest());
            Descriptor chosen = idx.select(platform);
            man = c.call(new ManifestPuller(repo, chosen.digest()));
            if (!MediaTypes.isManifest(man.mediaType()))
                throw new ImageException.BadManifest("index entry " + chosen.digest() + " is not an image manifest: " + man.mediaType());
        }
        Manifest m = Json.read(man.bytes(), Manifest.class, "manifest " + man.digest());
        if (!store.hasBlob(m.config().digestValue())) c.call(new BlobPuller(store, repo, m.config(), null));
        ObjectNode cfg = store.config(m);
        List<Digest> diffIds = Store.diffIds(cfg);
        if (diffIds.size() != m.layers().size())
            throw new ImageException.BadManifest("manifest " + man.digest() + " has " + m.layers().size() + " layers, config lists " + diffIds.size() + " diff_ids");
        if (!platform.matches(cfg.path("os").asText(), cfg.path("architecture").asText(), cfg.path("variant").asText(null))
                && !MediaTypes.isIndex(top.mediaType()))
            progress.update(ref.familiar(), "Warning: image is " + cfg.path("os").asText() + "/" + cfg.path("architecture").asText()
                    + ", wanted " + platform, 0, 0);
        PullTrace.mark("config");
        List<Digest> chain = SnapshotStore.chainIds(diffIds);
        List<Provenance.Layer> prov = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(options.parallel(), Thread.ofVirtual().factory());
        try {
            List<Future<?>> jobs = new ArrayList<>();
            for (int i = 0; i < m.layers().size(); i++) {
                Descriptor l = m.layers().get(i);
                Digest ch = chain.get(i), diff = diffIds.get(i);
                String id = l.digestValue().shortHex();
                prov.add(Provenance.Layer.pulled(l.digest(), diff.toString(), ref.registry(), repo));
                if (snapshots.has(ch) && store.hasBlob(l.digestValue())) { progress.update(id, "Already exists", l.size(), l.size()); continue; }
                progress.update(id, "Waiting", 0, l.size());
                jobs.add(pool.submit(() -> {
                    if (!store.hasBlob(l.digestValue()) && !snapshots.has(ch)) {
                        downloadAndUnpack(c, repo, l, ch, diff, id, progress);
                    } else {
                        if (!store.hasBlob(l.digestValue())) download(c, repo, l, id, progress);
                        progress.update(id, "Extracting", l.size(), l.size());
                        snapshots.unpack(ch, l, diff);
                    }
                    progress.update(id, "Pull complete", l.size(), l.size());
                    PullTrace.mark("layer " + id + " done");
                    return null;
                }));
            }
            for (Future<?> f : jobs) {
                try { f.get(); }
                catch (ExecutionException e) {
                    jobs.forEach(j -> j.cancel(true));
                    if (e.getCause() instanceof RuntimeException r) throw r;
                    throw new ImageException.Registry(0, "pull " + ref + ": " + e.getCause(), e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ImageException.Registry(0, "pull " + ref + " interrupted", e);
                }
            }
        } finally {
            pool.shutdownNow();
        }
        PullTrace.mark("layers");
        Digest md = store.putBlob(new java.io.ByteArrayInputStream(man.bytes()), man.digest(), man.bytes().length);
        Descriptor desc = Descriptor.of(man.mediaType(), md, man.bytes().length);
        store.writeProvenance(md, new Provenance(ref.toString(), md.toString(), prov));
        if (ref.tag() != null) store.tag(ref, desc); else store.addUntagged(desc);
        PullTrace.mark("tagged");
        return desc;
    }
}
