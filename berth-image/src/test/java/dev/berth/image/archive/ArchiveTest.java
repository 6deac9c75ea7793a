package dev.berth.image.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.image.Images;
import dev.berth.image.TestSupport;
import dev.berth.image.TestSupport.Tar;
import dev.berth.image.api.Descriptor;
import dev.berth.image.api.Digest;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.ImageReference;
import dev.berth.image.api.Index;
import dev.berth.image.api.Json;
import dev.berth.image.api.MediaTypes;
import dev.berth.image.api.Platform;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArchiveTest {
    @TempDir Path tmp;

    private static void add(Tar t, String name, byte[] b) throws Exception {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(b.length);
        t.entry(e, b);
    }

    @Test void saveThenLoadIntoAnotherStore() throws Exception {
        Images a = Images.open(tmp.resolve("a"));
        Descriptor d = a.importRootfs(TestSupport.busyboxRootfs(tmp.resolve("rootfs")), ImageReference.parse("busybox:save"), Platform.DEFAULT);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        a.save(List.of("busybox:save"), false, out);

        Images b = Images.open(tmp.resolve("b"));
        var loaded = b.load(new ByteArrayInputStream(out.toByteArray()), null, Platform.DEFAULT);
        assertThat(loaded).hasSize(1);
        // the docker manifest.json path is taken, which rebuilds an identical OCI manifest
        assertThat(b.store().resolve("busybox:save").digest()).isEqualTo(d.digest());
        assertThat(b.verify()).isEmpty();

        // OCI-only archive: index.json with the full name
        ByteArrayOutputStream oci = new ByteArrayOutputStream();
        a.save(List.of("busybox:save"), true, oci);
        Images c = Images.open(tmp.resolve("c"));
        c.load(new ByteArrayInputStream(oci.toByteArray()), null, Platform.DEFAULT);
        assertThat(c.store().resolve("docker.io/library/busybox:save").digest()).isEqualTo(d.digest());
        assertThat(c.inspect("busybox:save").get("Layers").get(0).get("Provenance").get("source").asText()).isEqualTo("load");
    }

    @Test void oldStyleDockerSaveWithSymlinkedLayers() throws Exception {
        byte[] layer = new Tar().file("hello", "world").bytes();
        Digest diff = Digest.of(layer);
        String cfg = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + diff + "\",\"" + diff + "\"]},\"history\":[{\"created_by\":\"one\"},{\"created_by\":\"two\"}]}";
        Tar t = new Tar();
        add(t, "aaa/layer.tar", layer);
        t.symlink("bbb/layer.tar", "../aaa/layer.tar");
        add(t, "cfg.json", cfg.getBytes(StandardCharsets.UTF_8));
        add(t, "manifest.json", "[{\"Config\":\"cfg.json\",\"RepoTags\":[\"old:style\"],\"Layers\":[\"aaa/layer.tar\",\"bbb/layer.tar\"]}]".getBytes(StandardCharsets.UTF_8));
        Images im = Images.open(tmp.resolve("s"));
        im.load(new ByteArrayInputStream(t.bytes()), null, Platform.DEFAULT);
        assertThat(im.history("old:style")).extracting(Images.HistoryLine::createdBy).containsExactly("two", "one");
        assertThat(im.snapshotter().ensureUnpacked(im.store().resolve("old:style"))).hasSize(2);
    }

    @Test void diffIdMismatchInDockerArchiveLeavesNoImage() throws Exception {
        byte[] layer = new Tar().file("hello", "world").bytes();
        String cfg = "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:" + "1".repeat(64) + "\"]}}";
        Tar t = new Tar();
        add(t, "l/layer.tar", layer);
        add(t, "c.json", cfg.getBytes(StandardCharsets.UTF_8));
        add(t, "manifest.json", "[{\"Config\":\"c.json\",\"RepoTags\":[\"bad:diff\"],\"Layers\":[\"l/layer.tar\"]}]".getBytes(StandardCharsets.UTF_8));
        Images im = Images.open(tmp.resolve("s"));
        assertThatThrownBy(() -> im.load(new ByteArrayInputStream(t.bytes()), null, Platform.DEFAULT))
                .isInstanceOf(ImageException.DigestMismatch.class).hasMessageContaining("l/layer.tar");
        assertThat(im.list()).isEmpty();
    }

    private byte[] multiPlatform(boolean dropBlob, String layerMediaType) throws Exception {
        return TestSupport.multiPlatformOciArchive(dropBlob, layerMediaType);
    }

    @Test void indexWithPlatformSelection() throws Exception {
        byte[] archive = multiPlatform(false, MediaTypes.OCI_LAYER);
        Images im = Images.open(tmp.resolve("s"));
        im.load(new ByteArrayInputStream(archive), "multi", Platform.DEFAULT);
        assertThat(im.inspect("multi:1.0").get("Architecture").asText()).isEqualTo("amd64");
        im.load(new ByteArrayInputStream(archive), "multi:arm", Platform.parse("linux/arm64"));
        assertThat(im.inspect("multi:arm").get("Architecture").asText()).isEqualTo("arm64");
        assertThatThrownBy(() -> im.load(new ByteArrayInputStream(archive), "x", Platform.parse("linux/s390x")))
                .isInstanceOf(ImageException.NotFound.class).hasMessageContaining("no manifest for platform linux/s390x").hasMessageContaining("linux/arm64");
    }

    @Test void manifestReferencingMissingBlob() throws Exception {
        Images im = Images.open(tmp.resolve("s"));
        assertThatThrownBy(() -> im.load(new ByteArrayInputStream(multiPlatform(true, MediaTypes.OCI_LAYER)), "m", Platform.DEFAULT))
                .isInstanceOf(ImageException.BadManifest.class).hasMessageContaining("references missing blob");
        assertThat(im.list()).isEmpty();
    }

    @Test void wrongMediaType() throws Exception {
        Images im = Images.open(tmp.resolve("s"));
        assertThatThrownBy(() -> im.load(new ByteArrayInputStream(multiPlatform(false, "text/plain")), "m", Platform.DEFAULT))
                .isInstanceOf(ImageException.BadManifest.class).hasMessageContaining("unsupported media type: text/plain");
        assertThat(im.list()).isEmpty();
    }

    @Test void blobThatLiesAboutItsDigest() throws Exception {
        Tar t = new Tar();
        add(t, "blobs/sha256/" + "2".repeat(64), "not that".getBytes(StandardCharsets.UTF_8));
        Images im = Images.open(tmp.resolve("s"));
        assertThatThrownBy(() -> im.load(new ByteArrayInputStream(t.bytes()), null, Platform.DEFAULT))
                .isInstanceOf(ImageException.DigestMismatch.class).hasMessageContaining("blobs/sha256/2222");
        try (var ls = Files.list(tmp.resolve("s/blobs/sha256"))) { assertThat(ls).isEmpty(); }
    }

    private static List<String> listing(Path dir) throws Exception {
        try (var ls = Files.list(dir)) { return ls.map(f -> f.getFileName().toString()).sorted().toList(); }
    }

    /** Issue 9: a failed load left its blobs (config, layers) in the store until prune. */
    @Test void aFailedLoadLeavesNothingItAdded() throws Exception {
        Images im = Images.open(tmp.resolve("s"));
        Path rootfs = Files.createDirectories(tmp.resolve("rootfs"));
        Files.writeString(rootfs.resolve("kept"), "kept");
        im.importRootfs(rootfs, ImageReference.parse("kept:1"), Platform.DEFAULT);
        List<String> blobsBefore = listing(tmp.resolve("s/blobs/sha256")), provBefore = listing(tmp.resolve("s/provenance"));
        String indexBefore = Files.readString(tmp.resolve("s/index.json"));

        // two images: the first is fine (a layer of its own and one the store has), the second's layer lies about its diff ID
        byte[] good = new Tar().file("good", "good").bytes(), bad = new Tar().file("bad", "bad").bytes();
        var keptManifest = im.store().manifest(im.store().resolve("kept:1"));
        byte[] shared = im.store().readBlob(keptManifest.layers().getFirst().digestValue());
        Digest keptDiff = dev.berth.image.store.Store.diffIds(im.store().config(keptManifest)).getFirst();
        String goodCfg = "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + keptDiff + "\",\"" + Digest.of(good) + "\"]}}";
        String badCfg = "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:" + "1".repeat(64) + "\"]}}";
        Tar t = new Tar();
        add(t, "shared/layer.tar", shared);
        add(t, "good/layer.tar", good);
        add(t, "bad/layer.tar", bad);
        add(t, "good.json", goodCfg.getBytes(StandardCharsets.UTF_8));
        add(t, "bad.json", badCfg.getBytes(StandardCharsets.UTF_8));
        add(t, "manifest.json", ("[{\"Config\":\"good.json\",\"RepoTags\":[\"good:1\"],\"Layers\":[\"shared/layer.tar\",\"good/layer.tar\"]},"
                + "{\"Config\":\"bad.json\",\"RepoTags\":[\"bad:1\"],\"Layers\":[\"bad/layer.tar\"]}]").getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> im.load(new ByteArrayInputStream(t.bytes()), null, Platform.DEFAULT))
                .isInstanceOf(ImageException.DigestMismatch.class).hasMessageContaining("bad/layer.tar");
        assertThat(listing(tmp.resolve("s/blobs/sha256"))).as("blobs").isEqualTo(blobsBefore);
        assertThat(listing(tmp.resolve("s/provenance"))).as("provenance").isEqualTo(provBefore);
        assertThat(Files.readString(tmp.resolve("s/index.json"))).isEqualTo(indexBefore);
        assertThat(listing(tmp.resolve("s/ingest"))).isEmpty();
        assertThat(listing(tmp.resolve("s/snapshots/tmp"))).isEmpty();
        // the store is still whole and usable: nothing to prune, the old image runs, the good half loads alone
        assertThat(im.verify()).isEmpty();
        assertThat(im.prune().blobs()).isEmpty();
        assertThat(im.snapshotter().ensureUnpacked(im.store().resolve("kept:1"))).hasSize(1);
        Tar goodOnly = new Tar();
        add(goodOnly, "shared/layer.tar", shared);
        add(goodOnly, "good/layer.tar", good);
        add(goodOnly, "good.json", goodCfg.getBytes(StandardCharsets.UTF_8));
        add(goodOnly, "manifest.json", "[{\"Config\":\"good.json\",\"RepoTags\":[\"good:1\"],\"Layers\":[\"shared/layer.tar\",\"good/layer.tar\"]}]".getBytes(StandardCharsets.UTF_8));
        im.load(new ByteArrayInputStream(goodOnly.bytes()), null, Platform.DEFAULT);
        assertThat(im.list()).hasSize(2);
    }

    /** An OCI archive of one image whose index.json gives the manifest's size as {@code manifestSize}. */
    private static byte[] ociArchive(byte[] layer, byte[] cfg, byte[] manifest, long manifestSize) throws Exception {
        Tar t = new Tar();
        add(t, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8));
        add(t, "blobs/sha256/" + Digest.of(layer).hex(), layer);
        add(t, "blobs/sha256/" + Digest.of(cfg).hex(), cfg);
        add(t, "blobs/sha256/" + Digest.of(manifest).hex(), manifest);
        add(t, "index.json", Json.write(new Index(2, MediaTypes.OCI_INDEX, List.of(new Descriptor(MediaTypes.OCI_MANIFEST,
                Digest.of(manifest).toString(), manifestSize, Map.of("org.opencontainers.image.ref.name", "1.0"), null, null)), null)));
        return t.bytes();
    }

    /** Issue 9: the manifest descriptor's size in index.json was not checked (a config or layer size was). */
    @Test void descriptorSizesMustMatchTheBytes() throws Exception {
        byte[] layer = new Tar().file("f", "x").bytes();
        byte[] cfg = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + Digest.of(layer) + "\"]}}")
                .getBytes(StandardCharsets.UTF_8);
        java.util.function.LongFunction<byte[]> manifest = layerSize -> ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST
                + "\",\"config\":{\"mediaType\":\"" + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + Digest.of(cfg) + "\",\"size\":" + cfg.length
                + "},\"layers\":[{\"mediaType\":\"" + MediaTypes.OCI_LAYER + "\",\"digest\":\"" + Digest.of(layer) + "\",\"size\":" + layerSize + "}]}")
                .getBytes(StandardCharsets.UTF_8);
        byte[] m = manifest.apply(layer.length);
        Images im = Images.open(tmp.resolve("s"));
        for (long wrong : new long[] {m.length - 1, m.length + 1000, 0}) {
            assertThatThrownBy(() -> im.load(new ByteArrayInputStream(ociArchive(layer, cfg, m, wrong)), "m", Platform.DEFAULT))
                    .isInstanceOf(ImageException.BadManifest.class)
                    .hasMessage("manifest " + Digest.of(m) + " is " + m.length + " bytes but index.json says " + wrong);
            assertThat(im.list()).isEmpty();
            assertThat(listing(tmp.resolve("s/blobs/sha256"))).isEmpty();
        }
        byte[] lying = manifest.apply(layer.length + 1);
        assertThatThrownBy(() -> im.load(new ByteArrayInputStream(ociArchive(layer, cfg, lying, lying.length)), "m", Platform.DEFAULT))
                .isInstanceOf(ImageException.BadManifest.class)
                .hasMessage("blob " + Digest.of(layer) + " is " + layer.length + " bytes, manifest says " + (layer.length + 1));
        assertThat(listing(tmp.resolve("s/blobs/sha256"))).isEmpty();
        im.load(new ByteArrayInputStream(ociArchive(layer, cfg, m, m.length)), "m", Platform.DEFAULT);
        assertThat(im.list()).hasSize(1);
    }
}
