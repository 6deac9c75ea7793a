package dev.berth.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.image.api.Digest;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.ImageReference;
import dev.berth.image.api.Platform;
import dev.berth.image.snapshot.SnapshotStore;
import dev.berth.image.store.Store;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImagesTest {
    @TempDir Path tmp;

    @Test void provenanceInspectHistoryTagRmPrune() throws Exception {
        Images im = Images.open(tmp.resolve("root"));
        Path rootfs = TestSupport.busyboxRootfs(tmp.resolve("rootfs"));
        im.importRootfs(rootfs, ImageReference.parse("bb:1"), Platform.DEFAULT);
        var inspect = im.inspect("bb:1");
        assertThat(inspect.get("RepoTags").get(0).asText()).isEqualTo("bb:1");
        assertThat(inspect.get("Os").asText()).isEqualTo("linux");
        var prov = inspect.get("Layers").get(0).get("Provenance");
        assertThat(prov.get("source").asText()).isEqualTo("import");
        assertThat(prov.get("path").asText()).isEqualTo(rootfs.toString());
        assertThat(prov.get("time").asText()).isNotEmpty();
        assertThat(im.history("bb:1").getFirst().provenance()).startsWith("import of " + rootfs);

        im.tag("bb:1", "bb:2");
        assertThat(im.list()).hasSize(1);
        assertThat(im.list().getFirst().names()).extracting(ImageReference::familiar).containsExactlyInAnyOrder("bb:1", "bb:2");
        assertThat(im.remove("bb:1", false)).containsExactly("Untagged: bb:1");
        assertThat(im.prune().blobs()).isEmpty();   // still named bb:2

        String id = im.inspect("bb:2").get("Id").asText();
        assertThat(im.store().resolve(Digest.parse(id).shortHex()).digest()).isEqualTo(im.store().resolve("bb:2").digest());
        List<String> out = im.remove("bb:2", false);
        assertThat(out).contains("Untagged: bb:2");
        assertThat(out.getLast()).startsWith("Deleted: sha256:");
        var pruned = im.prune();
        assertThat(pruned.blobs()).hasSize(3);   // manifest, config, layer
        assertThat(pruned.snapshots()).hasSize(1);
        try (var ls = Files.list(tmp.resolve("root/blobs/sha256"))) { assertThat(ls).isEmpty(); }
        assertThatThrownBy(() -> im.inspect("bb:2")).isInstanceOf(ImageException.NotFound.class);
    }

    @Test void zstdRootfsTarballImportsAsZstdLayer() throws Exception {
        Images im = Images.open(tmp.resolve("root"));
        byte[] tar = new TestSupport.Tar().dir("etc").file("etc/hostname", "zstd\n").bytes();
        Path zst = tmp.resolve("rootfs.tar.zst");
        try (var out = new com.github.luben.zstd.ZstdOutputStream(Files.newOutputStream(zst))) { out.write(tar); }
        im.importRootfs(zst, ImageReference.parse("z:1"), Platform.DEFAULT);
        var m = im.store().manifest(im.store().resolve("z:1"));
        assertThat(m.layers().getFirst().mediaType()).isEqualTo("application/vnd.oci.image.layer.v1.tar+zstd");
        assertThat(Store.diffIds(im.store().config(m)).getFirst()).isEqualTo(Digest.of(tar));
        Path fs = im.snapshots().fs(SnapshotStore.chainIds(List.of(Digest.of(tar))).getFirst());
        assertThat(Files.readString(fs.resolve("etc/hostname"))).isEqualTo("zstd\n");
        assertThat(im.verify()).isEmpty();
    }

    /** Two unpacks of one layer at once (docker-compose creating two containers of a fresh image): both succeed. */
    @Test void racingUnpacksOfOneLayerBothCommit() throws Exception {
        Images im = Images.open(tmp.resolve("root"));
        byte[] tar = new TestSupport.Tar().dir("etc").file("etc/hostname", "race\n").bytes();
        Path t = tmp.resolve("rootfs.tar");
        Files.write(t, tar);
        im.importRootfs(t, ImageReference.parse("r:1"), Platform.DEFAULT);
        var m = im.store().manifest(im.store().resolve("r:1"));
        var layer = m.layers().getFirst();
        Digest diff = Digest.of(tar), chain = SnapshotStore.chainIds(List.of(diff)).getFirst();
        Store.deleteTree(im.snapshots().dir(chain));
        SnapshotStore.Pending a, b;
        try (var in = im.store().openBlob(layer.digestValue())) { a = im.snapshots().extract(chain, layer, diff, in); }
        try (var in = im.store().openBlob(layer.digestValue())) { b = im.snapshots().extract(chain, layer, diff, in); }
        assertThat(a.commit()).isEqualTo(im.snapshots().fs(chain));
        assertThat(b.commit()).isEqualTo(im.snapshots().fs(chain));
        assertThat(Files.readString(im.snapshots().fs(chain).resolve("etc/hostname"))).isEqualTo("race\n");
        try (var ls = Files.list(tmp.resolve("root/snapshots/tmp"))) { assertThat(ls).isEmpty(); }
    }

    @Test void pruneKeepsWhatContainersUse() throws Exception {
        Images im = Images.open(tmp.resolve("root"));
        im.importRootfs(TestSupport.busyboxRootfs(tmp.resolve("rootfs")), ImageReference.parse("bb"), Platform.DEFAULT);
        im.snapshotter().prepare("keep", "bb");
        try {
            assertThatThrownBy(() -> im.remove("bb", false)).hasMessageContaining("used by container keep");
            assertThat(im.store().untag(ImageReference.parse("bb"))).isTrue();
            im.store().removeManifest(Digest.parse(im.snapshotter().info("keep").manifest()));
            var pruned = im.prune();
            assertThat(pruned.snapshots()).isEmpty();
            assertThat(pruned.blobs()).isEmpty();
        } finally {
            im.snapshotter().remove("keep");
        }
        assertThat(im.prune().blobs()).hasSize(3);
    }

    @Test void pruneWaitsForOperationsThatAddContent() throws Exception {
        Images im = Images.open(tmp.resolve("root"));
        byte[] orphan = "not yet named".getBytes();
        var pruned = new java.util.concurrent.CompletableFuture<Images.PruneResult>();
        try (Store.Adding adding = im.store().adding()) {
            im.store().putBlob(orphan);   // a pull in progress: blob stored, image not named yet
            Thread.ofVirtual().start(() -> pruned.complete(Images.open(tmp.resolve("root")).prune()));
            Thread.sleep(300);
            assertThat(pruned).isNotDone();
            assertThat(im.store().hasBlob(Digest.of(orphan))).isTrue();
        }
        assertThat(pruned.get(10, java.util.concurrent.TimeUnit.SECONDS).blobs()).containsExactly(Digest.of(orphan));
    }

    @Test void verifyFindsCorruptBlobsAndSnapshots() throws Exception {
        Images im = Images.open(tmp.resolve("root"));
        im.importRootfs(TestSupport.busyboxRootfs(tmp.resolve("rootfs")), ImageReference.parse("bb"), Platform.DEFAULT);
        assertThat(im.verify()).isEmpty();
        var m = im.store().manifest(im.store().resolve("bb"));
        Path layer = im.store().blobPath(m.layers().getFirst().digestValue());
        byte[] b = Files.readAllBytes(layer);
        b[b.length / 2] ^= 1;
        Files.write(layer, b);
        var chain = SnapshotStore.chainIds(Store.diffIds(im.store().config(m))).getFirst();
        Files.writeString(im.snapshots().fs(chain).resolve("etc/hostname"), "tampered");
        List<String> problems = im.verify();
        assertThat(problems).anyMatch(p -> p.startsWith("blob " + m.layers().getFirst().digest() + " is corrupt"));
        assertThat(problems).anyMatch(p -> p.startsWith("snapshot " + chain + " (layer " + m.layers().getFirst().digest() + ") was modified"));
    }
}
