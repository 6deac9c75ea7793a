package dev.berth.image.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.image.Images;
import dev.berth.image.TestSupport.Tar;
import dev.berth.image.api.Digest;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.ImageReference;
import dev.berth.image.api.MediaTypes;
import dev.berth.image.api.Platform;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pull unpacks a layer while it downloads. With an uncompressed layer the extractor can finish
 * before the download's digest is known to be wrong: the snapshot must then be thrown away, and
 * nothing (blob, snapshot, temp dir, ingest file, name) may be left once pull returns.
 */
class PipelinedPullTest {
    @TempDir Path tmp;

    /** An image with one uncompressed layer: a 1 MiB file first (where the proxy flips a byte), then small files. */
    private String pushUncompressed(LocalRegistry reg, RegistryOptions opts) throws Exception {
        Images a = Images.open(tmp.resolve("src"));
        byte[] noise = new byte[1 << 20];
        new Random(11).nextBytes(noise);
        Tar t = new Tar().entry(file("noise.bin", noise.length), noise);
        for (int i = 0; i < 200; i++) t.file("small/d" + (i % 7) + "/f" + i, "file " + i);
        Path layer = tmp.resolve("layer.tar");
        Files.write(layer, t.bytes());
        a.importRootfs(layer, ImageReference.parse("plain:1"), Platform.DEFAULT);
        var m = a.store().manifest(a.store().resolve("plain:1"));
        assertThat(m.layers().getFirst().mediaType()).isEqualTo(MediaTypes.OCI_LAYER);
        a.push("plain:1", ImageReference.parse(reg.address() + "/plain/img:1"), opts, Progress.NONE);
        return m.layers().getFirst().digest();
    }

    private static org.apache.commons.compress.archivers.tar.TarArchiveEntry file(String name, int size) {
        var e = new org.apache.commons.compress.archivers.tar.TarArchiveEntry(name, true);
        e.setSize(size);
        e.setMode(0100644);
        return e;
    }

    private static void assertEmpty(Path dir) throws Exception {
        if (!Files.exists(dir)) return;
        try (var ls = Files.list(dir)) { assertThat(ls).isEmpty(); }
    }

    @Test void uncompressedLayerIsUnpackedWhileDownloading() throws Exception {
        try (LocalRegistry reg = LocalRegistry.start(tmp.resolve("reg"), null, null, null)) {
            RegistryOptions opts = RegistryOptions.DEFAULT.withDockerConfig(tmp.resolve("none.json"));
            pushUncompressed(reg, opts);
            Images b = Images.open(tmp.resolve("dst"));
            ImageReference ref = ImageReference.parse(reg.address() + "/plain/img:1");
            b.pull(ref, Platform.DEFAULT, opts, Progress.NONE);
            assertThat(b.verify()).isEmpty();
            Path fs = b.snapshots().fs(b.snapshots().list().getFirst());
            assertThat(Files.size(fs.resolve("noise.bin"))).isEqualTo(1 << 20);
            assertThat(fs.resolve("small/d3/f199")).hasContent("file 199");
            assertEmpty(tmp.resolve("dst/snapshots/tmp"));
            assertEmpty(tmp.resolve("dst/ingest"));
        }
    }

    @Test void digestMismatchFoundAfterTheUnpackLeavesNothing() throws Exception {
        try (LocalRegistry reg = LocalRegistry.start(tmp.resolve("reg"), null, null, null)) {
            RegistryOptions opts = RegistryOptions.DEFAULT.withDockerConfig(tmp.resolve("none.json"));
            String layer = pushUncompressed(reg, opts);
            // one byte of noise.bin flipped on the way (every try): a valid tar, a wrong digest
            try (CuttingProxy proxy = new CuttingProxy(reg.port, "/blobs/" + layer, 300_000, true)) {
                Images b = Images.open(tmp.resolve("dst"));
                assertThatThrownBy(() -> b.pull(ImageReference.parse("127.0.0.1:" + proxy.port() + "/plain/img:1"), Platform.DEFAULT, opts, Progress.NONE))
                        .isInstanceOf(ImageException.DigestMismatch.class).hasMessageContaining(layer);
                assertThat(proxy.cut.get()).isTrue();
                // at once (no waiting for a background thread): nothing of the layer is left
                assertEmpty(tmp.resolve("dst/snapshots/tmp"));
                assertEmpty(tmp.resolve("dst/ingest"));
                assertThat(b.snapshots().list()).isEmpty();
                assertThat(b.store().hasBlob(Digest.parse(layer))).isFalse();
                assertThat(b.list()).isEmpty();
            }
        }
    }
}
