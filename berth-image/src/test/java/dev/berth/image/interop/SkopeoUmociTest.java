package dev.berth.image.interop;

import static dev.berth.image.TestSupport.run;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.image.Images;
import dev.berth.image.TestSupport;
import dev.berth.image.api.Descriptor;
import dev.berth.image.api.ImageReference;
import dev.berth.image.api.Json;
import dev.berth.image.api.Platform;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Both directions with the real tools (Debian packages skopeo, umoci). */
class SkopeoUmociTest {
    @TempDir Path tmp;

    @Test void skopeoReadsBerthsStoreAndBerthReadsSkopeosLayout() throws Exception {
        Images im = Images.open(tmp.resolve("root"));
        Descriptor d = im.importRootfs(TestSupport.busyboxRootfs(tmp.resolve("rootfs")), ImageReference.parse("busybox:interop"), Platform.DEFAULT);
        String src = "oci:" + tmp.resolve("root") + ":docker.io/library/busybox:interop";
        JsonNode info = Json.MAPPER.readTree(run(null, "skopeo", "inspect", src));
        assertThat(info.get("Digest").asText()).isEqualTo(d.digest());
        assertThat(info.get("Architecture").asText()).isEqualTo("amd64");

        Path copy = tmp.resolve("copy");
        run(null, "skopeo", "copy", src, "oci:" + copy + ":copied");
        JsonNode raw = Json.MAPPER.readTree(run(null, "skopeo", "inspect", "--raw", "oci:" + copy + ":copied"));
        assertThat(raw.get("layers")).hasSize(1);

        // and back: berth loads the layout skopeo wrote
        Images other = Images.open(tmp.resolve("other"));
        other.load(copy, "copied/busybox", Platform.DEFAULT);
        assertThat(other.inspect("copied/busybox:copied").get("Os").asText()).isEqualTo("linux");
        assertThat(other.snapshotter().ensureUnpacked(other.store().resolve("copied/busybox:copied"))).hasSize(1);

        // skopeo reads a berth save archive as oci-archive and docker-archive
        Path archive = tmp.resolve("saved.tar");
        try (var os = Files.newOutputStream(archive)) { im.save(List.of("busybox:interop"), false, os); }
        assertThat(Json.MAPPER.readTree(run(null, "skopeo", "inspect", "oci-archive:" + archive + ":docker.io/library/busybox:interop")).get("Digest").asText())
                .isEqualTo(d.digest());
        assertThat(run(null, "skopeo", "inspect", "docker-archive:" + archive)).contains("\"Architecture\": \"amd64\"");

        // skopeo writes a docker archive, berth loads it
        Path dockerArchive = tmp.resolve("skopeo-docker.tar");
        run(null, "skopeo", "copy", src, "docker-archive:" + dockerArchive + ":busybox:from-skopeo");
        Images third = Images.open(tmp.resolve("third"));
        third.load(dockerArchive, null, Platform.DEFAULT);
        assertThat(third.inspect("busybox:from-skopeo").get("Layers")).hasSize(1);
    }

    @Test void umociUnpacksBerthsImageAndBerthReadsUmocisLayout() throws Exception {
        Images im = Images.open(tmp.resolve("root"));
        im.importRootfs(TestSupport.busyboxRootfs(tmp.resolve("rootfs")), ImageReference.parse("busybox:umoci"), Platform.DEFAULT);
        // umoci wants a short tag name: copy berth's layout with skopeo-free tooling: save OCI-only and untar
        Path layout = tmp.resolve("layout");
        Files.createDirectories(layout);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        im.save(List.of("busybox:umoci"), true, out);
        Path tar = tmp.resolve("oci.tar");
        Files.write(tar, out.toByteArray());
        run(layout, "tar", "xf", tar.toString());
        Path bundle = tmp.resolve("bundle");
        run(null, "umoci", "unpack", "--image", layout + ":docker.io/library/busybox:umoci", bundle.toString());
        assertThat(bundle.resolve("rootfs/bin/busybox")).isRegularFile();
        assertThat(Files.readString(bundle.resolve("rootfs/etc/hostname"))).isEqualTo("berth\n");

        // umoci changes the image; berth loads umoci's layout
        Files.writeString(bundle.resolve("rootfs/etc/umoci"), "was here\n");
        run(null, "umoci", "repack", "--image", layout + ":changed", bundle.toString());
        Images other = Images.open(tmp.resolve("other"));
        other.load(layout, "umoci/busybox", Platform.DEFAULT);
        Path rootfs = other.snapshotter().prepare("u1", "umoci/busybox:changed");
        try {
            assertThat(Files.readString(rootfs.resolve("etc/umoci"))).isEqualTo("was here\n");
            assertThat(rootfs.resolve("bin/busybox")).isRegularFile();
        } finally {
            other.snapshotter().remove("u1");
        }
    }
}
