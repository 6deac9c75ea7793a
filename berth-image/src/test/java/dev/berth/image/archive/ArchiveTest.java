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
}
