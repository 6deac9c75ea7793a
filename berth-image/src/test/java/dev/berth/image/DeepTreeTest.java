package dev.berth.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.image.TestSupport.Tar;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.ImageReference;
import dev.berth.image.api.Platform;
import dev.berth.image.snapshot.Change;
import dev.berth.image.tar.Dir;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Trees deeper than PATH_MAX lets a path name (issue 9, High 2 and Medium 4): a layer of 5,000
 * nested directories, a container that makes a 2,100-deep tree in its writable layer, deep
 * leftovers of a crashed unpack. After each: nothing outside the store, nothing left behind, the
 * store still usable (list, load/import, prune, prepare, remove).
 */
class DeepTreeTest {
    @TempDir Path tmp;
    Path root, outside;
    Images images;

    @BeforeEach void setUp() throws IOException {
        root = tmp.resolve("root");
        outside = Files.createDirectories(tmp.resolve("outside"));
        Files.writeString(outside.resolve("secret"), "host data");
        images = Images.open(root);
    }

    @AfterEach void cleanUp() {
        for (var c : images.snapshotter().list()) {
            try { images.snapshotter().remove(c.id()); } catch (ImageException ignored) {}
        }
    }

    /**
     * A tar written header by header (PAX records for long names), as a hostile archive would be:
     * commons-compress's writer takes time quadratic in a name's length.
     */
    static final class RawTar {
        final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();

        RawTar entry(String name, char type, String link, byte[] data) {
            StringBuilder pax = new StringBuilder();
            if (name.length() > 99) pax.append(record("path", name));
            if (link != null && link.length() > 99) pax.append(record("linkpath", link));
            if (!pax.isEmpty()) {
                byte[] p = pax.toString().getBytes(StandardCharsets.UTF_8);
                header("PaxHeader", 'x', null, p.length);
                block(p);
            }
            header(name.length() > 99 ? name.substring(0, 99) : name, type, link == null || link.length() > 99 ? (link == null ? null : "l") : link,
                    data == null ? 0 : data.length);
            if (data != null) block(data);
            return this;
        }

        private static String record(String key, String value) {
            String body = " " + key + "=" + value + "\n";
            int n = body.getBytes(StandardCharsets.UTF_8).length;
            int len = n + String.valueOf(n).length();
            if (String.valueOf(len).length() != String.valueOf(n).length()) len++;
            return len + body;
        }

        private void header(String name, char type, String link, long size) {
            byte[] h = new byte[512];
            put(h, 0, name);
            put(h, 100, type == '5' ? "0000755" : "0000644");
            put(h, 108, "0000000");
            put(h, 116, "0000000");
            put(h, 124, String.format("%011o", size));
            put(h, 136, String.format("%011o", 0));
            h[156] = (byte) type;
            if (link != null) put(h, 157, link);
            put(h, 257, "ustar");
            put(h, 263, "00");
            java.util.Arrays.fill(h, 148, 156, (byte) ' ');
            int sum = 0;
            for (byte b : h) sum += b & 0xff;
            put(h, 148, String.format("%06o", sum));
            h[155] = ' ';
            out.writeBytes(h);
        }

        private static void put(byte[] h, int off, String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            System.arraycopy(b, 0, h, off, b.length);
        }

        private void block(byte[] data) {
            out.writeBytes(data);
            out.writeBytes(new byte[(512 - data.length % 512) % 512]);
        }

        byte[] bytes() { out.writeBytes(new byte[1024]); return out.toByteArray(); }
    }

    /** A layer: {@code depth} nested directory entries "d/", "d/d/", ..., and a file "f" at the bottom. */
    static Path deepLayer(Path file, int depth, String content) throws IOException {
        RawTar t = new RawTar();
        StringBuilder p = new StringBuilder();
        for (int i = 0; i < depth; i++) {
            p.append(i == 0 ? "d" : "/d");
            t.entry(p + "/", '5', null, null);
        }
        t.entry(p + "/f", '0', null, content.getBytes(StandardCharsets.UTF_8));
        Files.write(file, t.bytes());
        return file;
    }

    /** Makes {@code depth} nested directories "d" under {@code base} and a file "f" in the deepest (python3: chdir, mkdir). */
    static void mkdirDeep(Path base, int depth) throws Exception {
        TestSupport.run(null, "python3", "-c", "import os,sys\nos.chdir(sys.argv[1])\nfor _ in range(int(sys.argv[2])):\n os.mkdir('d'); os.chdir('d')\n"
                + "open('f','w').write('deep')", base.toString(), String.valueOf(depth));
    }

    /** Depth of the chain of "d" directories under {@code base} and the content of "f" at its bottom. */
    static String deepest(Path base) throws IOException {
        int depth = 0;
        Dir d = Dir.open(base);
        try {
            while (true) {
                Dir c = d.child(Dir.name("d"));
                if (c == null) break;
                d.close();
                d = c;
                depth++;
            }
            try (var in = d.openFile(Dir.name("f"))) { return depth + ":" + new String(in.readAllBytes()); }
        } finally {
            d.close();
        }
    }

    private void assertNothingLeft() throws IOException {
        for (String dir : List.of("snapshots/tmp", "ingest", "containers")) {
            try (Stream<Path> s = Files.list(root.resolve(dir))) { assertThat(s.toList()).as(dir).isEmpty(); }
        }
        try (Stream<Path> s = Files.list(outside)) { assertThat(s.map(p -> p.getFileName().toString())).containsExactly("secret"); }
        assertThat(Files.readString(outside.resolve("secret"))).isEqualTo("host data");
    }

    /** The store answers: list, import, prune (which removes all that nothing names). */
    private void assertStoreUsable() throws IOException {
        Images again = Images.open(root);
        again.list();
        Path small = tmp.resolve("small.tar");
        Files.write(small, new Tar().file("etc/hostname", "x\n").bytes());
        again.importRootfs(small, ImageReference.parse("small:probe"), Platform.DEFAULT);
        again.remove("small:probe", false);
        again.prune();
    }

    @Test void aLayerOf5000NestedDirectoriesExtractsAndEveryStoreWalkCopesWithIt() throws Exception {
        Path layer = deepLayer(tmp.resolve("deep.tar"), 5000, "bottom");
        images.importRootfs(layer, ImageReference.parse("deep:5000"), Platform.DEFAULT);
        var chain = images.snapshotter().ensureUnpacked(images.store().resolve("deep:5000"));
        assertThat(deepest(images.snapshots().fs(chain.getFirst()))).isEqualTo("5000:bottom");
        assertThat(images.verify()).isEmpty();   // the tree hash walks it (twice: recorded, then checked)
        assertThat(images.verify()).isEmpty();

        Path rootfs = images.snapshotter().prepare("c1", "deep:5000");
        assertThat(deepest(rootfs)).isEqualTo("5000:bottom");
        assertThat(images.snapshotter().diff("c1")).isEmpty();
        images.snapshotter().remove("c1");

        assertThat(images.remove("deep:5000", false)).isNotEmpty();
        assertThat(images.prune().snapshots()).hasSize(1);
        try (Stream<Path> s = Files.list(root.resolve("snapshots/sha256"))) { assertThat(s.toList()).isEmpty(); }
        assertNothingLeft();
        assertStoreUsable();
    }

    @Test void aDeepLayerThatFailsLeavesNothingAndStartUpRemovesDeepLeftovers() throws Exception {
        // 5,000 levels, then an entry that is refused: the unpack fails after making the deep tree
        RawTar t = new RawTar();
        StringBuilder p = new StringBuilder();
        for (int i = 0; i < 5000; i++) { p.append(i == 0 ? "d" : "/d"); t.entry(p + "/", '5', null, null); }
        t.entry(p + "/up", '2', "../".repeat(5001) + "outside", null);
        Files.write(tmp.resolve("bad.tar"), t.bytes());
        assertThatThrownBy(() -> images.importRootfs(tmp.resolve("bad.tar"), ImageReference.parse("bad:1"), Platform.DEFAULT))
                .isInstanceOf(ImageException.UnsafeArchive.class).hasMessageContaining("points out of the root");
        assertNothingLeft();

        // leftovers of a process killed mid-unpack and mid-ingest, deeper than PATH_MAX: start-up removes them
        Files.createDirectories(root.resolve("snapshots/tmp/crashed"));
        mkdirDeep(root.resolve("snapshots/tmp/crashed"), 3000);
        Files.createDirectories(root.resolve("ingest/crashed"));
        mkdirDeep(root.resolve("ingest/crashed"), 2100);
        images = Images.open(root);
        assertNothingLeft();
        assertStoreUsable();
    }

    @Test void aContainerThatMakesA2100DeepTreeCanBeDiffedCommittedAndRemoved() throws Exception {
        Files.write(tmp.resolve("base.tar"), new Tar().dir("etc").file("etc/hostname", "base\n").file("etc/passwd", "root:x:0:0::/:/bin/sh\n").bytes());
        images.importRootfs(tmp.resolve("base.tar"), ImageReference.parse("base:1"), Platform.DEFAULT);
        Path rootfs = images.snapshotter().prepare("c1", "base:1");
        mkdirDeep(rootfs, 2100);   // through the overlay, as `mkdir d; cd d` in the container
        Files.delete(rootfs.resolve("etc/passwd"));

        List<Change> diff = images.snapshotter().diff("c1");
        assertThat(diff).hasSize(2100 + 1 + 2);
        assertThat(diff.getFirst().toString()).isEqualTo("A /d");
        assertThat(diff).extracting(Change::toString).contains("C /etc", "D /etc/passwd", "A " + "/d".repeat(2100) + "/f");

        images.snapshotter().commit("c1", ImageReference.parse("base:deep"));
        Path rootfs2 = images.snapshotter().prepare("c2", "base:deep");
        assertThat(deepest(rootfs2)).isEqualTo("2100:deep");
        assertThat(rootfs2.resolve("etc/passwd")).doesNotExist();
        assertThat(Files.readString(rootfs2.resolve("etc/hostname"))).isEqualTo("base\n");

        images.snapshotter().remove("c1");
        images.snapshotter().remove("c2");
        images.remove("base:deep", false);
        images.remove("base:1", false);
        images.prune();
        try (Stream<Path> s = Files.list(root.resolve("snapshots/sha256"))) { assertThat(s.toList()).isEmpty(); }
        assertNothingLeft();
        assertStoreUsable();
    }

    @Test void namesBeyondTheLimitAreRefusedCleanly() throws Exception {
        Files.write(tmp.resolve("long.tar"), new RawTar().entry("d/".repeat(40000) + "f", '0', null, new byte[]{'x'}).bytes());   // 80,001 bytes
        assertThatThrownBy(() -> images.importRootfs(tmp.resolve("long.tar"), ImageReference.parse("long:1"), Platform.DEFAULT))
                .isInstanceOf(ImageException.UnsafeArchive.class).hasMessageContaining("name longer than 65536 bytes");
        assertNothingLeft();
        assertStoreUsable();
    }
}
