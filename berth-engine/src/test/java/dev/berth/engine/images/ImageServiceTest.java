package dev.berth.engine.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.image.registry.Credentials;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ImageService on a real berth-image store, with images built by scripts/mk-oci-image.sh from
 * Debian's busybox-static (a one-layer docker-save archive that is also an OCI archive).
 */
class ImageServiceTest {
    static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    @TempDir static Path shared;
    static Path busyboxTar;

    @TempDir Path tmp;
    ImageService svc;

    @BeforeAll
    static void buildImage() throws Exception {
        if (!Files.isExecutable(Path.of("/bin/busybox")) && !Files.isExecutable(Path.of("/usr/bin/busybox")))
            fail("busybox is missing: install Debian's busybox-static");
        Process p = new ProcessBuilder(REPO.resolve("scripts/mk-oci-image.sh").toString(), shared.resolve("img").toString(), "busybox:latest")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) fail("scripts/mk-oci-image.sh failed: " + out);
        busyboxTar = shared.resolve("img/image.tar");
    }

    @BeforeEach
    void open() throws Exception {
        svc = new ImageService(tmp.resolve("root"));
        try (InputStream in = Files.newInputStream(busyboxTar)) {
            assertThat(svc.load(in)).containsExactly("Loaded image: busybox:latest");
        }
    }

    static Map<String, List<String>> filter(String k, String... v) { return Map.of(k, List.of(v)); }

    static List<String> tags(ArrayNode list) {
        List<String> out = new ArrayList<>();
        for (JsonNode i : list) for (JsonNode t : i.path("RepoTags")) out.add(t.asText());
        return out;
    }

    @Test
    void listsImagesInDockersSummaryShape() {
        ArrayNode list = svc.list(Map.of());
        assertThat(list).hasSize(1);
        JsonNode i = list.get(0);
        assertThat(i.path("Id").asText()).matches("sha256:[0-9a-f]{64}");
        assertThat(i.path("RepoTags").toString()).isEqualTo("[\"busybox:latest\"]");
        assertThat(i.path("RepoDigests").isArray()).isTrue();
        assertThat(i.path("Created").asLong()).isZero(); // mk-oci-image: 1970
        assertThat(i.path("Size").asLong()).isPositive();
        assertThat(i.path("Containers").asInt()).isEqualTo(-1);
        assertThat(i.path("SharedSize").asInt()).isEqualTo(-1);
        assertThat(i.path("ParentId").asText()).isEmpty();
        assertThat(i.path("Labels").isObject()).isTrue();
        assertThat(svc.count()).isEqualTo(1);
    }

    @Test
    void filtersByDanglingReferenceAndRejectsUnknownFilters() {
        svc.tag("busybox", "registry.example:5000/a/b", "t1");
        svc.tag("busybox", "mybox", null);
        assertThat(tags(svc.list(filter("reference", "*box")))).containsExactlyInAnyOrder("busybox:latest", "mybox:latest");
        assertThat(tags(svc.list(filter("reference", "registry.example:5000/a/*:t1")))).containsExactly("registry.example:5000/a/b:t1");
        assertThat(svc.list(filter("dangling", "true"))).isEmpty();
        assertThat(svc.list(filter("dangling", "false"))).hasSize(1);
        assertThat(svc.list(filter("label", "nosuch"))).isEmpty();
        assertThatThrownBy(() -> svc.list(filter("bogus", "1"))).isInstanceOfSatisfying(ImageError.class,
                e -> { assertThat(e.kind()).isEqualTo(ImageError.Kind.INVALID); assertThat(e).hasMessage("invalid filter 'bogus'"); });
        assertThatThrownBy(() -> svc.list(filter("dangling", "maybe"))).hasMessage("invalid filter 'dangling=maybe'");
    }

    @Test
    void inspectHasDockersImageInspectShape() {
        ObjectNode o = svc.inspect("busybox");
        assertThat(o.path("Id").asText()).isEqualTo(svc.list(Map.of()).get(0).path("Id").asText());
        assertThat(o.path("RepoTags").toString()).isEqualTo("[\"busybox:latest\"]");
        assertThat(o.path("Created").asText()).isEqualTo("1970-01-01T00:00:00Z");
        assertThat(o.path("Os").asText()).isEqualTo("linux");
        assertThat(o.path("Architecture").asText()).isNotEmpty();
        assertThat(o.path("Config").path("Cmd").toString()).isEqualTo("[\"sh\"]");
        assertThat(o.path("RootFS").path("Type").asText()).isEqualTo("layers");
        assertThat(o.path("RootFS").path("Layers")).hasSize(1);
        assertThat(o.path("GraphDriver").path("Name").asText()).isEqualTo("overlay2");
        // berth's extension: where each layer came from (the load of the archive) and the image that introduced it
        JsonNode prov = o.path("BerthProvenance");
        assertThat(prov).hasSize(1);
        assertThat(prov.get(0).path("DiffID").asText()).isEqualTo(o.path("RootFS").path("Layers").get(0).asText());
        assertThat(prov.get(0).path("Source").asText()).startsWith("load of ");
        assertThat(prov.get(0).path("Record").path("source").asText()).isEqualTo("load");
        assertThat(prov.get(0).path("IntroducedBy").path("RepoTags").toString()).isEqualTo("[\"busybox:latest\"]");
        // by ID, ID prefix and full ID
        String id = o.path("Id").asText();
        assertThat(svc.inspect(id).path("Id").asText()).isEqualTo(id);
        assertThat(svc.inspect(id.substring(7, 19)).path("Id").asText()).isEqualTo(id);
        assertThatThrownBy(() -> svc.inspect("nosuch")).isInstanceOfSatisfying(ImageError.class,
                e -> { assertThat(e.kind()).isEqualTo(ImageError.Kind.NOT_FOUND); assertThat(e).hasMessage("No such image: nosuch:latest"); });
    }

    @Test
    void historyIsNewestFirstWithTheIdOnTop() {
        ArrayNode h = svc.history("busybox");
        assertThat(h).hasSize(1);
        assertThat(h.get(0).path("Id").asText()).startsWith("sha256:");
        assertThat(h.get(0).path("Tags").toString()).isEqualTo("[\"busybox:latest\"]");
        assertThat(h.get(0).path("CreatedBy").asText()).contains("mk-oci-image.sh");
        assertThat(h.get(0).path("Size").asLong()).isPositive();
    }

    @Test
    void tagRejectsDigestsAndBadNames() {
        assertThatThrownBy(() -> svc.tag("busybox", "Bad/Name", "x")).isInstanceOfSatisfying(ImageError.class,
                e -> assertThat(e.kind()).isEqualTo(ImageError.Kind.INVALID));
        assertThatThrownBy(() -> svc.tag("busybox", "a@sha256:" + "0".repeat(64), null)).hasMessageContaining("digest");
        assertThatThrownBy(() -> svc.tag("nosuch", "a", "b")).hasMessage("No such image: nosuch:latest");
    }

    @Test
    void removeUntagsThenDeletesAsDockerAnswers() {
        svc.tag("busybox", "other", "1");
        assertThat(svc.remove("other:1", false, false).toString()).isEqualTo("[{\"Untagged\":\"other:1\"}]");
        svc.tag("busybox", "other", "1");
        String id = svc.inspect("busybox").path("Id").asText();
        assertThatThrownBy(() -> svc.remove(id.substring(7, 19), false, false)).isInstanceOfSatisfying(ImageError.class, e -> {
            assertThat(e.kind()).isEqualTo(ImageError.Kind.CONFLICT);
            assertThat(e).hasMessage("conflict: unable to delete " + id.substring(7, 19) + " (must be forced) - image is referenced in multiple repositories");
        });
        ArrayNode r = svc.remove(id.substring(7, 19), true, false);
        assertThat(r.toString()).contains("{\"Untagged\":\"busybox:latest\"}", "{\"Untagged\":\"other:1\"}", "{\"Deleted\":\"" + id + "\"}");
        assertThat(svc.list(Map.of())).isEmpty();
        assertThat(tmp.resolve("root/blobs/sha256").toFile().list()).isEmpty(); // the blobs went with it
        assertThatThrownBy(() -> svc.remove("busybox", false, false)).hasMessage("No such image: busybox:latest");
    }

    @Test
    void anImageAContainerUsesIsAConflict() {
        String id = svc.inspect("busybox").path("Id").asText();
        String shortId = id.substring(7, 19);
        String container = "c0ffee".repeat(10) + "abcd";
        svc.usage(imageId -> imageId.equals(id) ? List.of(new ImageUsage.User(container, false)) : List.of());
        assertThatThrownBy(() -> svc.remove("busybox", false, false)).hasMessage(
                "conflict: unable to remove repository reference \"busybox\" (must force) - container c0ffeec0ffee is using its referenced image " + shortId);
        assertThatThrownBy(() -> svc.remove(shortId, false, false)).hasMessage(
                "conflict: unable to delete " + shortId + " (must be forced) - image is being used by stopped container c0ffeec0ffee");
        svc.usage(imageId -> List.of(new ImageUsage.User(container, true)));
        assertThatThrownBy(() -> svc.remove(shortId, true, false)).isInstanceOfSatisfying(ImageError.class, e -> {
            assertThat(e.kind()).isEqualTo(ImageError.Kind.CONFLICT);
            assertThat(e).hasMessage("conflict: unable to delete " + shortId + " (cannot be forced) - image is being used by running container c0ffeec0ffee");
        });
        // prune leaves it alone too
        svc.remove("busybox", true, false);
        assertThat(svc.prune(filter("dangling", "true")).path("ImagesDeleted").isNull()).isTrue();
        assertThat(svc.list(Map.of())).hasSize(1);
    }

    @Test
    void pruneRemovesDanglingImagesOrAllUnused() {
        svc.tag("busybox", "keep", "1");
        assertThat(svc.prune(Map.of()).path("ImagesDeleted").isNull()).isTrue();
        ObjectNode r = svc.prune(filter("dangling", "false"));
        assertThat(r.path("ImagesDeleted").toString()).contains("\"Untagged\":\"keep:1\"", "\"Deleted\":\"sha256:");
        assertThat(r.path("SpaceReclaimed").asLong()).isPositive();
        assertThat(svc.list(Map.of())).isEmpty();
    }

    @Test
    void saveThenLoadIntoAnotherStoreGivesTheSameImage() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        svc.save(List.of("busybox"), out);
        ImageService other = new ImageService(tmp.resolve("root2"));
        assertThat(other.load(new java.io.ByteArrayInputStream(out.toByteArray()))).containsExactly("Loaded image: busybox:latest");
        assertThat(other.inspect("busybox").path("Id")).isEqualTo(svc.inspect("busybox").path("Id"));
        assertThatThrownBy(() -> svc.save(List.of("busybox", "nosuch"), new ByteArrayOutputStream())).hasMessage("No such image: nosuch:latest");
    }

    @Test
    void aCorruptArchiveLoadsNothingAndLeavesNoBlobs() throws Exception {
        ImageService other = new ImageService(tmp.resolve("root3"));
        byte[] whole = Files.readAllBytes(busyboxTar);
        byte[] cut = java.util.Arrays.copyOf(whole, whole.length / 2);
        assertThatThrownBy(() -> other.load(new java.io.ByteArrayInputStream(cut))).isInstanceOfSatisfying(ImageError.class,
                e -> assertThat(e.kind()).isEqualTo(ImageError.Kind.INVALID));
        assertThat(other.list(Map.of())).isEmpty();
        assertThat(tmp.resolve("root3/blobs/sha256").toFile().list()).isEmpty();
    }

    @Test
    void importMakesAOneLayerImageWithChanges() throws Exception {
        Path rootfs = tmp.resolve("rootfs");
        Files.createDirectories(rootfs.resolve("etc"));
        Files.writeString(rootfs.resolve("etc/hello"), "hi\n");
        Path tar = tmp.resolve("rootfs.tar");
        Process p = new ProcessBuilder("tar", "-C", rootfs.toString(), "-cf", tar.toString(), ".").start();
        assertThat(p.waitFor()).isZero();
        String id;
        try (InputStream in = Files.newInputStream(tar)) {
            id = svc.importImage(in, "imported", "v1", List.of("CMD [\"/bin/sh\"]", "ENV A=b"), null);
        }
        ObjectNode o = svc.inspect("imported:v1");
        assertThat(o.path("Id").asText()).isEqualTo(id);
        assertThat(o.path("Config").path("Cmd").toString()).isEqualTo("[\"/bin/sh\"]");
        assertThat(o.path("Config").path("Env").toString()).contains("A=b");
        assertThat(tmp.resolve("root/ingest").toFile().list()).isEmpty(); // the spooled tarball is gone
    }

    @Test
    void resolveGivesWhatTheContainersEngineNeeds() {
        ImageService.Resolved r = svc.resolve("busybox");
        assertThat(r.id()).isEqualTo(svc.inspect("busybox").path("Id").asText());
        assertThat(r.manifest()).startsWith("sha256:");
        assertThat(r.names()).containsExactly("busybox:latest");
        assertThat(r.config().path("config").path("Cmd").toString()).isEqualTo("[\"sh\"]");
        assertThat(r.chainIds()).hasSize(1);
        assertThatThrownBy(() -> svc.resolve("nosuch")).hasMessage("No such image: nosuch:latest");
    }

    @Test
    void registryAuthHeaderDecodes() {
        String json = "{\"username\":\"u\",\"password\":\"p\",\"serveraddress\":\"127.0.0.1:5000\"}";
        Credentials c = ImageService.credentials(Base64.getUrlEncoder().encodeToString(json.getBytes(StandardCharsets.UTF_8)));
        assertThat(c.username()).isEqualTo("u");
        assertThat(c.password()).isEqualTo("p");
        Credentials t = ImageService.credentials(Base64.getUrlEncoder().withoutPadding()
                .encodeToString("{\"identitytoken\":\"tok\"}".getBytes(StandardCharsets.UTF_8)));
        assertThat(t.identityToken()).isEqualTo("tok");
        assertThat(ImageService.credentials(null).present()).isFalse();
        assertThat(ImageService.credentials("e30=").present()).isFalse(); // {}
        assertThatThrownBy(() -> ImageService.credentials("!!!")).hasMessageStartingWith("invalid X-Registry-Auth header");
    }

    @Test
    void pullReferencesTakeTheTagParameter() {
        assertThat(ImageService.pullReference("busybox", "1.36").toString()).isEqualTo("docker.io/library/busybox:1.36");
        assertThat(ImageService.pullReference("127.0.0.1:5000/a/b", "").toString()).isEqualTo("127.0.0.1:5000/a/b:latest");
        assertThat(ImageService.pullReference("a", "sha256:" + "1".repeat(64)).digest()).isNotNull();
        assertThatThrownBy(() -> ImageService.pullReference("UPPER", null)).isInstanceOfSatisfying(ImageError.class,
                e -> assertThat(e.kind()).isEqualTo(ImageError.Kind.INVALID));
    }

    @Test
    void referenceGlobsAreGoPathMatch() {
        assertThat(ImageService.glob("busy*").matcher("busybox").matches()).isTrue();
        assertThat(ImageService.glob("*").matcher("a/b").matches()).isFalse();
        assertThat(ImageService.glob("b[a-z]sybox").matcher("busybox").matches()).isTrue();
        assertThat(ImageService.glob("b[^u]sybox").matcher("busybox").matches()).isFalse();
    }
}
