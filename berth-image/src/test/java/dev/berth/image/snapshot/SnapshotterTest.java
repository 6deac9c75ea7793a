package dev.berth.image.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.image.Images;
import dev.berth.image.TestSupport;
import dev.berth.image.TestSupport.Tar;
import dev.berth.image.api.Descriptor;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.ImageReference;
import dev.berth.image.api.Platform;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real overlayfs mounts (root): prepare, diff, commit, remove. */
class SnapshotterTest {
    @TempDir Path tmp;
    Images images;
    final List<String> containers = new ArrayList<>();

    @BeforeEach void setUp() { images = Images.open(tmp.resolve("root")); }

    @AfterEach void cleanUp() {
        for (String c : containers) {
            try { images.snapshotter().remove(c); } catch (ImageException ignored) {}
        }
    }

    private Path prepare(String id, String image) {
        containers.add(id);
        return images.snapshotter().prepare(id, image);
    }

    @Test void busyboxRootfsThroughOverlay() throws Exception {
        Path rootfs = TestSupport.busyboxRootfs(tmp.resolve("rootfs"));
        Descriptor d = images.importRootfs(rootfs, ImageReference.parse("busybox:test"), Platform.DEFAULT);
        assertThat(images.store().resolve("busybox:test").digest()).isEqualTo(d.digest());

        Path root = prepare("c1", "busybox:test");
        assertThat(root.resolve("bin/busybox")).isRegularFile();
        assertThat(Files.readSymbolicLink(root.resolve("bin/sh")).toString()).isEqualTo("busybox");
        assertThat(Files.readString(root.resolve("etc/hostname"))).isEqualTo("berth\n");
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).contains(root.toString());

        // changes go to the container's upper dir, never to the shared snapshot
        Files.writeString(root.resolve("etc/hostname"), "changed\n");
        Files.writeString(root.resolve("tmp/new"), "new\n");
        Files.delete(root.resolve("etc/passwd"));
        Files.createDirectories(root.resolve("var/log"));
        List<String> diff = images.snapshotter().diff("c1").stream().map(Change::toString).toList();
        assertThat(diff).containsExactly("C /etc", "C /etc/hostname", "D /etc/passwd", "C /tmp", "A /tmp/new", "A /var", "A /var/log");

        // a second container from the same image sees the pristine image
        Path root2 = prepare("c2", "busybox:test");
        assertThat(Files.readString(root2.resolve("etc/hostname"))).isEqualTo("berth\n");
        assertThat(root2.resolve("etc/passwd")).exists();

        // commit: the changes become a layer; a container of the new image sees them
        images.snapshotter().commit("c1", ImageReference.parse("busybox:committed"));
        Path root3 = prepare("c3", "busybox:committed");
        assertThat(Files.readString(root3.resolve("etc/hostname"))).isEqualTo("changed\n");
        assertThat(root3.resolve("etc/passwd")).doesNotExist();
        assertThat(root3.resolve("tmp/new")).exists();
        assertThat(root3.resolve("bin/busybox")).exists();
        assertThat(images.history("busybox:committed").getFirst().createdBy()).isEqualTo("berth commit c1");
        assertThat(images.history("busybox:committed").getFirst().provenance()).startsWith("committed from container c1 of busybox:test at ");

        images.snapshotter().remove("c1");
        assertThat(tmp.resolve("root/containers/c1")).doesNotExist();
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(tmp.resolve("root/containers/c1").toString());
        assertThatThrownBy(() -> images.snapshotter().remove("c1")).isInstanceOf(ImageException.NotFound.class);
    }

    @Test void whiteoutsAndOpaqueDirsInLayersHideLowerFiles() throws Exception {
        Path base = tmp.resolve("base.tar");
        Files.write(base, new Tar().dir("etc").file("etc/a", "a").file("etc/b", "b").dir("opt").file("opt/old", "old").bytes());
        images.importRootfs(base, ImageReference.parse("layers:base"), Platform.DEFAULT);
        // second layer: delete etc/a, make opt opaque with a new file
        images.load(loadable(tmp, "layers:base", new Tar().file("etc/.wh.a", "").dir("opt").file("opt/.wh..wh..opq", "").file("opt/new", "n").bytes()),
                null, Platform.DEFAULT);
        Path root = prepare("w1", "layers:two");
        assertThat(root.resolve("etc/a")).doesNotExist();
        assertThat(root.resolve("etc/b")).exists();
        assertThat(root.resolve("opt/old")).doesNotExist();
        assertThat(root.resolve("opt/new")).exists();
        assertThat(images.snapshotter().diff("w1")).isEmpty();
        Files.writeString(root.resolve("etc/b"), "b2");
        assertThat(images.snapshotter().diff("w1")).extracting(Change::toString).containsExactly("C /etc", "C /etc/b");
    }

    /** A docker-save archive with two layers: base's layer and {@code top}, named layers:two. */
    private Path loadable(Path dir, String baseRef, byte[] top) throws Exception {
        Path out = dir.resolve("two.tar");
        try (var os = Files.newOutputStream(dir.resolve("base-saved.tar"))) { images.save(List.of(baseRef), false, os); }
        // re-use the saved base, add one uncompressed layer and a new config by hand
        var m = images.store().manifest(images.store().resolve(baseRef));
        var cfg = images.store().config(m);
        var diff = dev.berth.image.api.Digest.of(top);
        ((com.fasterxml.jackson.databind.node.ArrayNode) cfg.get("rootfs").get("diff_ids")).add(diff.toString());
        byte[] cfgBytes = dev.berth.image.api.Json.write(cfg);
        Tar t = new Tar();
        byte[] baseLayer = images.store().readBlob(m.layers().getFirst().digestValue());
        t.file("base/layer.tar", new String(new byte[0]));
        TarEntries.add(t, "l1/layer.tar", baseLayer);
        TarEntries.add(t, "l2/layer.tar", top);
        TarEntries.add(t, "config.json", cfgBytes);
        TarEntries.add(t, "manifest.json", ("[{\"Config\":\"config.json\",\"RepoTags\":[\"layers:two\"],\"Layers\":[\"l1/layer.tar\",\"l2/layer.tar\"]}]").getBytes());
        Files.write(out, t.bytes());
        return out;
    }

    static final class TarEntries {
        static void add(Tar t, String name, byte[] b) throws java.io.IOException {
            var e = new org.apache.commons.compress.archivers.tar.TarArchiveEntry(name);
            e.setSize(b.length);
            t.entry(e, b);
        }
    }

    @Test void badContainerIdsAndUnknownImages() {
        assertThatThrownBy(() -> images.snapshotter().prepare("../x", "busybox")).isInstanceOf(ImageException.InvalidReference.class);
        assertThatThrownBy(() -> images.snapshotter().prepare("ok", "nosuch:image")).isInstanceOf(ImageException.NotFound.class)
                .hasMessage("no such image: nosuch:image");
        assertThat(Files.exists(tmp.resolve("root/containers/ok"), LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThatThrownBy(() -> images.snapshotter().diff("nope")).isInstanceOf(ImageException.NotFound.class).hasMessage("no such container: nope");
        assertThatThrownBy(() -> images.snapshotter().commit("nope", null)).isInstanceOf(ImageException.NotFound.class);
    }

    @Test void labelsAreRecordedAndANameInUseIsRefusedLeavingTheFirstIntact() throws Exception {
        images.importRootfs(TestSupport.busyboxRootfs(tmp.resolve("rootfs")), ImageReference.parse("busybox:test"), Platform.DEFAULT);
        Path root = prepare("named", "busybox:test");
        containers.add("named");
        images.snapshotter().remove("named");
        root = images.snapshotter().prepare("named", "busybox:test", java.util.Map.of("bundle", "/somewhere"));
        assertThat(images.snapshotter().info("named").labels()).containsEntry("bundle", "/somewhere");
        assertThat(images.snapshotter().mounted("named")).isTrue();
        assertThatThrownBy(() -> images.snapshotter().prepare("named", "busybox:test"))
                .isInstanceOf(ImageException.InvalidReference.class).hasMessage("name named is already in use (a container of busybox:test)");
        assertThat(root.resolve("bin/busybox")).isRegularFile();
        assertThat(images.snapshotter().mounted("named")).isTrue();
        images.snapshotter().remove("named");
        assertThat(images.snapshotter().list()).isEmpty();
    }

    @Test void mountPointsTheImageLacksLiveInAnInitLayerThatDiffAndCommitIgnore() throws Exception {
        // an image with no /proc or /dev, a /sys of mode 0700 owned by 7:8, /run as a symlink, /etc/hostname
        Path base = tmp.resolve("base.tar");
        var sys = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("sys/");
        sys.setMode(040700);
        sys.setIds(7, 8);
        Tar t = new Tar().dir("etc").file("etc/hostname", "h\n");
        t.entry(sys, new byte[0]);
        var run = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("run", org.apache.commons.compress.archivers.tar.TarConstants.LF_SYMLINK);
        run.setLinkName("/etc");
        t.entry(run, new byte[0]);
        Files.write(base, t.bytes());
        images.importRootfs(base, ImageReference.parse("bare:1"), Platform.DEFAULT);
        containers.add("i1");
        Path root = images.snapshotter().prepare("i1", "bare:1", java.util.Map.of(),
                List.of("/proc", "/dev", "/dev/pts", "/sys", "/sys/fs/cgroup", "/run/lock", "/etc/hostname"));
        assertThat(root.resolve("proc")).isDirectory();
        assertThat(root.resolve("dev/pts")).isDirectory();
        assertThat(root.resolve("sys/fs/cgroup")).isDirectory();
        assertThat(Files.getAttribute(root.resolve("sys"), "unix:mode", LinkOption.NOFOLLOW_LINKS)).isEqualTo(040700);
        assertThat(Files.getAttribute(root.resolve("sys"), "unix:uid", LinkOption.NOFOLLOW_LINKS)).isEqualTo(7);
        assertThat(Files.isSymbolicLink(root.resolve("run"))).isTrue();                 // never replaced, never followed
        assertThat(Path.of("/etc/lock")).doesNotExist();
        assertThat(Files.readString(root.resolve("etc/hostname"))).isEqualTo("h\n");   // a file stays the image's
        assertThat(tmp.resolve("root/containers/i1/upper")).isEmptyDirectory();
        assertThat(images.snapshotter().diff("i1")).isEmpty();

        Files.writeString(root.resolve("proc/x"), "x");   // nothing is mounted there in this test: a change like any other
        assertThat(images.snapshotter().diff("i1")).extracting(Change::toString).containsExactly("C /proc", "A /proc/x");
        images.snapshotter().commit("i1", ImageReference.parse("bare:2"));
        containers.add("i2");
        Path root2 = images.snapshotter().prepare("i2", "bare:2");
        assertThat(root2.resolve("proc/x")).hasContent("x");
        assertThat(root2.resolve("dev")).doesNotExist();   // the init layer is not part of the image

        assertThatThrownBy(() -> images.snapshotter().prepare("i3", "bare:1", java.util.Map.of(), List.of("/a/../../x")))
                .isInstanceOf(ImageException.InvalidReference.class).hasMessageContaining("'..'");
        assertThat(tmp.resolve("root/containers/i3")).doesNotExist();
    }

    /** A FROM scratch image without /etc: the files berthd binds over (/etc/hosts, ...) are made as empty files, /etc as a directory, in the init layer. */
    @Test void fileMountPointsAreMadeAsFilesInTheInitLayer() throws Exception {
        Path base = tmp.resolve("scratch.tar");
        Files.write(base, new Tar().dir("app").file("app/x", "x").bytes());
        images.importRootfs(base, ImageReference.parse("scratchy:1"), Platform.DEFAULT);
        containers.add("f1");
        Path root = images.snapshotter().prepare("f1", "scratchy:1", java.util.Map.of(), List.of("/proc"),
                List.of("/etc/hosts", "/etc/hostname", "/etc/resolv.conf"));
        assertThat(root.resolve("etc")).isDirectory();
        for (String f : List.of("hosts", "hostname", "resolv.conf")) {
            assertThat(root.resolve("etc").resolve(f)).isRegularFile().isEmptyFile();
            assertThat(tmp.resolve("root/containers/f1/init/etc").resolve(f)).isRegularFile();
        }
        assertThat(tmp.resolve("root/containers/f1/upper")).isEmptyDirectory();
        assertThat(images.snapshotter().diff("f1")).isEmpty();
    }
}
