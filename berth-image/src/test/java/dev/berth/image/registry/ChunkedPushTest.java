package dev.berth.image.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.image.Images;
import dev.berth.image.TestSupport;
import dev.berth.image.api.Descriptor;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.ImageReference;
import dev.berth.image.api.Platform;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chunked blob upload (POST, PATCH with Content-Range, PUT ?digest=) against the real
 * docker-registry, through a proxy that records the requests and breaks one chunk.
 */
class ChunkedPushTest {
    @TempDir Path tmp;
    static final Pusher.Chunking ONE_MIB = new Pusher.Chunking(1 << 20, 1 << 20);
    static final String UPLOADS = "/v2/big/img/blobs/uploads/";

    record Pushed(Images images, Descriptor layer, ConcurrentLinkedQueue<long[]> pushing) {}

    /** An image whose layer is ~3.5 MB of noise (incompressible), pushed through a proxy. */
    Pushed push(UploadCuttingProxy proxy) throws Exception {
        Images a = Images.open(tmp.resolve("src"));
        Path rootfs = TestSupport.busyboxRootfs(tmp.resolve("rootfs"));
        byte[] noise = new byte[(3 << 20) + 12345];
        new Random(11).nextBytes(noise);
        Files.write(rootfs.resolve("noise.bin"), noise);
        a.importRootfs(rootfs, ImageReference.parse("big:1"), Platform.DEFAULT);
        Descriptor layer = a.store().manifest(a.store().resolve("big:1")).layers().getFirst();
        ConcurrentLinkedQueue<long[]> pushing = new ConcurrentLinkedQueue<>();
        String id = layer.digestValue().shortHex();
        Progress p = (i, status, current, total) -> { if (i.equals(id) && status.equals("Pushing")) pushing.add(new long[]{current, total}); };
        a.push("big:1", ImageReference.parse("127.0.0.1:" + proxy.port() + "/big/img:1"), opts(), ONE_MIB, p);
        return new Pushed(a, layer, pushing);
    }

    RegistryOptions opts() { return RegistryOptions.DEFAULT.withDockerConfig(tmp.resolve("none.json")); }

    /** The pushed image pulls into a fresh store and verifies. */
    void pullsBack(LocalRegistry reg, Pushed p) {
        Images b = Images.open(tmp.resolve("dst-" + System.nanoTime()));
        Descriptor d = b.pull(ImageReference.parse(reg.address() + "/big/img:1"), Platform.DEFAULT, opts(), Progress.NONE);
        assertThat(d.digest()).isEqualTo(p.images().store().resolve("big:1").digest());
        assertThat(b.verify()).isEmpty();
    }

    @Test void largeBlobsGoInChunksSmallOnesWhole() throws Exception {
        try (LocalRegistry reg = LocalRegistry.start(tmp.resolve("reg"), null, null, null);
             UploadCuttingProxy proxy = new UploadCuttingProxy(reg.port, 0, 0)) {
            Pushed p = push(proxy);
            long chunks = (p.layer().size() + (1 << 20) - 1) >> 20;
            assertThat(proxy.count("PATCH " + UPLOADS)).isEqualTo(chunks);
            assertThat(proxy.count("POST " + UPLOADS)).isEqualTo(2);   // layer (chunked) and config (whole)
            assertThat(proxy.count("PUT " + UPLOADS)).isEqualTo(2);
            assertThat(p.pushing().stream().mapToLong(x -> x[0]).max().orElse(0)).isEqualTo(p.layer().size());
            assertThat(p.pushing()).allMatch(x -> x[1] == p.layer().size());
            pullsBack(reg, p);
        }
    }

    @Test void aChunkCutBeforeItsBodyIsResumedWhereTheRegistryStands() throws Exception {
        try (LocalRegistry reg = LocalRegistry.start(tmp.resolve("reg"), null, null, null);
             UploadCuttingProxy proxy = new UploadCuttingProxy(reg.port, 2, 0)) {
            Pushed p = push(proxy);
            assertThat(proxy.cut.get()).isTrue();
            assertThat(proxy.count("GET " + UPLOADS)).as("asked for the upload's Range").isEqualTo(1);
            assertThat(proxy.count("POST " + UPLOADS)).as("no new upload: resumed").isEqualTo(2);
            long chunks = (p.layer().size() + (1 << 20) - 1) >> 20;
            assertThat(proxy.count("PATCH " + UPLOADS)).isEqualTo(chunks + 1);   // the broken one, sent again
            pullsBack(reg, p);
        }
    }

    @Test void aChunkCutMidwayThatTheRegistryWillNotResumeIsStartedAgain() throws Exception {
        // docker-registry keeps the partial bytes but refuses to resume at an offset it did not
        // acknowledge (BLOB_UPLOAD_INVALID): the upload starts over
        try (LocalRegistry reg = LocalRegistry.start(tmp.resolve("reg"), null, null, null);
             UploadCuttingProxy proxy = new UploadCuttingProxy(reg.port, 2, 300_000)) {
            Pushed p = push(proxy);
            assertThat(proxy.cut.get()).isTrue();
            assertThat(proxy.count("GET " + UPLOADS)).isEqualTo(1);
            assertThat(proxy.count("POST " + UPLOADS)).as("started again").isEqualTo(3);
            assertThat(p.pushing().stream().map(x -> x[0])).contains(0L, p.layer().size());
            pullsBack(reg, p);
        }
    }

    @Test void chunkingSettingsAreChecked() {
        assertThatThrownBy(() -> new Pusher.Chunking(0, 1000)).isInstanceOf(ImageException.InvalidReference.class).hasMessageContaining("64 KiB");
        assertThatThrownBy(() -> new Pusher.Chunking(-1, 1 << 20)).isInstanceOf(ImageException.InvalidReference.class);
    }
}
