package dev.berth.api.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.image.Images;
import dev.berth.image.api.ImageReference;
import dev.berth.image.api.Platform;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalSystemBackendTest {
    @TempDir Path tmp;

    @Test
    void countsDistinctImagesOfTheStoreBinBerthUses() throws Exception {
        Path root = tmp.resolve("root");
        LocalSystemBackend b = new LocalSystemBackend(root, ApiFacts.HOST);
        assertThat(b.counts().images()).isZero();
        Path rootfs = Files.createDirectories(tmp.resolve("rootfs/etc"));
        Files.writeString(rootfs.resolve("hostname"), "x\n");
        Images images = Images.open(root);
        images.importRootfs(tmp.resolve("rootfs"), ImageReference.parse("one:latest"), Platform.DEFAULT);
        images.tag("one:latest", "one:again"); // same image, two names: counted once
        assertThat(b.counts().images()).isEqualTo(1);
        assertThat(b.counts().containers()).isZero();
    }

    @Test
    void theEngineIdIsKeptAcrossStarts() throws Exception {
        Path root = tmp.resolve("root");
        String first = new LocalSystemBackend(root, ApiFacts.HOST).daemon().id();
        assertThat(first).matches("[0-9a-f-]{36}");
        assertThat(Files.readString(root.resolve("engine-id")).trim()).isEqualTo(first);
        assertThat(new LocalSystemBackend(root, ApiFacts.HOST).daemon().id()).isEqualTo(first);
        try (var s = Files.list(root)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("engine-id"); // no temp file left
        }
    }
}
