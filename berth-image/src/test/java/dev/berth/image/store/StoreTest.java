package dev.berth.image.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.image.api.Descriptor;
import dev.berth.image.api.Digest;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.ImageReference;
import dev.berth.image.api.MediaTypes;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreTest {
    @TempDir Path root;

    @Test void layoutIsOciImageLayout() throws Exception {
        Store s = Store.open(root);
        assertThat(Files.readString(root.resolve("oci-layout"))).contains("\"imageLayoutVersion\":\"1.0.0\"");
        assertThat(Files.readString(root.resolve("index.json"))).contains("\"schemaVersion\":2");
        assertThat(root.resolve("blobs/sha256")).isDirectory();
        assertThat(s.readIndex().manifests()).isEmpty();
    }

    @Test void blobsAreVerifiedWhileStreaming() throws Exception {
        Store s = Store.open(root);
        byte[] content = "hello".getBytes(StandardCharsets.UTF_8);
        Digest d = s.putBlob(new ByteArrayInputStream(content), Digest.of(content), content.length);
        assertThat(Files.readAllBytes(root.resolve("blobs/sha256").resolve(d.hex()))).isEqualTo(content);

        Digest wrong = Digest.of("other".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> s.putBlob(new ByteArrayInputStream("evil".getBytes(StandardCharsets.UTF_8)), wrong, -1))
                .isInstanceOf(ImageException.DigestMismatch.class)
                .hasMessageContaining("expected " + wrong).hasMessageContaining("nothing stored");
        assertThat(s.hasBlob(wrong)).isFalse();
        try (var ls = Files.list(root.resolve("ingest"))) { assertThat(ls).isEmpty(); }
        try (var ls = Files.list(root.resolve("blobs/sha256"))) { assertThat(ls).hasSize(1); }

        assertThatThrownBy(() -> s.putBlob(new ByteArrayInputStream(content), null, 99))
                .isInstanceOf(ImageException.DigestMismatch.class).hasMessageContaining("size mismatch");
    }

    @Test void startUpRemovesLeftoversOfACrash() throws Exception {
        Store.open(root);
        Files.writeString(root.resolve("ingest/half-a-layer"), "partial");
        Files.createDirectories(root.resolve("snapshots/tmp/abc/fs/etc"));
        Files.writeString(root.resolve(".index.json.1234"), "{");
        Store.open(root);
        try (var ls = Files.list(root.resolve("ingest"))) { assertThat(ls).isEmpty(); }
        try (var ls = Files.list(root.resolve("snapshots/tmp"))) { assertThat(ls).isEmpty(); }
        assertThat(root.resolve(".index.json.1234")).doesNotExist();
    }

    @Test void resumedIngestRehashesWhatIsThere() throws Exception {
        Store s = Store.open(root);
        byte[] all = "0123456789".repeat(1000).getBytes(StandardCharsets.UTF_8);
        IngestWriter w = s.newIngest("resume-me");
        w.write(all, 0, 4000);
        // simulate a dropped connection: a new writer for the same name continues
        IngestWriter w2 = s.newIngest("resume-me");
        assertThat(w2.written()).isEqualTo(4000);
        w2.write(all, 4000, all.length - 4000);
        assertThat(w2.commit(Digest.of(all), all.length)).isEqualTo(Digest.of(all));
        w.abort();
        assertThat(s.readBlob(Digest.of(all))).isEqualTo(all);
    }

    @Test void namesLiveInIndexAnnotations() throws Exception {
        Store s = Store.open(root);
        byte[] m = "{}".getBytes(StandardCharsets.UTF_8);
        Digest d = s.putBlob(m);
        Descriptor desc = Descriptor.of(MediaTypes.OCI_MANIFEST, d, m.length);
        s.tag(ImageReference.parse("busybox"), desc);
        s.tag(ImageReference.parse("busybox"), desc);
        s.tag(ImageReference.parse("localhost:5000/x:1"), desc);
        assertThat(Files.readString(root.resolve("index.json"))).contains("\"org.opencontainers.image.ref.name\":\"docker.io/library/busybox:latest\"");
        assertThat(s.readIndex().manifests()).hasSize(2);
        assertThat(s.resolve("busybox:latest").digest()).isEqualTo(d.toString());
        assertThat(s.resolve(d.toString()).digest()).isEqualTo(d.toString());
        assertThat(s.untag(ImageReference.parse("busybox"))).isTrue();
        assertThatThrownBy(() -> s.resolve("busybox")).isInstanceOf(ImageException.NotFound.class).hasMessage("no such image: busybox:latest");
        assertThatThrownBy(() -> s.tag(ImageReference.parse("x"), Descriptor.of(MediaTypes.OCI_MANIFEST, Digest.of(new byte[]{1}), 1)))
                .isInstanceOf(ImageException.NotFound.class);
    }

    private static int mode(Path p) throws Exception { return (Integer) Files.getAttribute(p, "unix:mode") & 07777; }

    /** Issue 9: the store was made 0755, so any host user could run a layer's setuid-root binary. */
    @Test void onlyRootReachesTheStore() throws Exception {
        Path fresh = root.resolve("var/lib/berth");
        Store.open(fresh);
        assertThat(mode(fresh)).isEqualTo(0700);
        for (String d : Store.PRIVATE_DIRS) assertThat(mode(fresh.resolve(d))).as(d).isEqualTo(0700);
        assertThat(mode(root.resolve("var/lib"))).as("parents are not the store's").isEqualTo(0755);

        // a store the old code made: everything 0755; its directories are tightened, the root kept
        for (String d : Store.PRIVATE_DIRS) Files.setAttribute(fresh.resolve(d), "unix:mode", 0755);
        Files.setAttribute(fresh, "unix:mode", 0755);
        Store.open(fresh);
        assertThat(mode(fresh)).isEqualTo(0755);
        for (String d : Store.PRIVATE_DIRS) assertThat(mode(fresh.resolve(d))).as(d).isEqualTo(0700);

        // a directory of the user's (here a shared one, as /tmp) stays as it was, every time
        Path mine = Files.createDirectories(root.resolve("mine"));
        Files.setAttribute(mine, "unix:mode", 01777);
        Store.open(mine);
        Store.open(mine);
        assertThat(mode(mine)).isEqualTo(01777);
        for (String d : Store.PRIVATE_DIRS) assertThat(mode(mine.resolve(d))).as(d).isEqualTo(0700);
    }
}
