package dev.berth.image.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.image.Images;
import dev.berth.image.TestSupport.Tar;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SIGKILL in the middle of an unpack: the next start finds no partial snapshot or image. */
class CrashSafetyTest {
    @TempDir Path tmp;

    @Test void killedMidUnpackLeavesNothingAfterRestart() throws Exception {
        Tar t = new Tar();
        String kb = "x".repeat(1024);
        for (int i = 0; i < 30000; i++) t.file("d" + (i % 100) + "/f" + i, kb);
        Path tarball = tmp.resolve("big.tar");
        Files.write(tarball, t.bytes());
        Path root = tmp.resolve("root");
        Store.open(root);
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                CrashChild.class.getName(), root.toString(), tarball.toString()).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("child.log").toFile()).start();
        try {
            Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
            boolean midUnpack = false;
            while (!midUnpack && p.isAlive() && Instant.now().isBefore(deadline)) {
                try (var ls = Files.list(root.resolve("snapshots/tmp"))) {
                    midUnpack = ls.anyMatch(d -> Files.exists(d.resolve("fs/d1")));
                }
                if (!midUnpack) Thread.sleep(5);
            }
            assertThat(midUnpack).as("child reached the unpack: " + Files.readString(tmp.resolve("child.log"))).isTrue();
        } finally {
            p.destroyForcibly().waitFor();
        }
        try (var ls = Files.list(root.resolve("snapshots/tmp"))) { assertThat(ls).isNotEmpty(); }   // debris of the crash

        Images im = Images.open(root);   // start-up
        try (var ls = Files.list(root.resolve("snapshots/tmp"))) { assertThat(ls).isEmpty(); }
        try (var ls = Files.list(root.resolve("ingest"))) { assertThat(ls).isEmpty(); }
        assertThat(im.snapshots().list()).isEmpty();
        assertThat(im.list()).isEmpty();
        assertThat(im.verify()).isEmpty();
        im.prune();   // the orphan layer blob goes
        try (var ls = Files.list(root.resolve("blobs/sha256"))) { assertThat(ls).isEmpty(); }
    }
}
