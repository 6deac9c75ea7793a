package dev.berth.image.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.image.Images;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.ImageReference;
import dev.berth.image.api.Platform;
import dev.berth.sys.Errno;
import dev.berth.sys.RecordingSyscalls;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The snapshotter's mount and unmount with berth-sys's recording double instead of the kernel
 * (no root, no overlayfs): what is mounted, and what a refused mount leaves behind (nothing).
 */
class SnapshotterSyscallsTest {
    @TempDir Path tmp;
    RecordingSyscalls sys;
    Images images;

    @BeforeEach void setUp() throws Exception {
        sys = new RecordingSyscalls();
        images = Images.open(tmp.resolve("root"), sys);
        Path rootfs = Files.createDirectories(tmp.resolve("rootfs/etc"));
        Files.writeString(rootfs.resolve("hostname"), "tiny\n");
        images.importRootfs(tmp.resolve("rootfs"), ImageReference.parse("tiny:1"), Platform.DEFAULT);
    }

    @Test void aRefusedOverlayMountLeavesNoContainerBehind() {
        sys.failOn("mount", Errno.EPERM);
        assertThatThrownBy(() -> images.snapshotter().prepare("c1", "tiny:1", java.util.Map.of(), java.util.List.of("/proc", "/dev")))
                .isInstanceOf(ImageException.Mount.class)
                .hasMessageStartingWith("cannot mount overlay rootfs of c1: mount overlay " + tmp.resolve("root/containers/c1/rootfs"))
                .hasMessageContaining("Operation not permitted");
        assertThat(tmp.resolve("root/containers/c1")).doesNotExist();
        // the init layer's mount points (owner copied from the image's root), then the mount
        assertThat(sys.names()).containsExactly("lchown", "mount");
        assertThat(sys.mounts()).isEmpty();
    }

    @Test void prepareMountsTheOverlayOnceAndRemoveUnmountsIt() {
        Path root = images.snapshotter().prepare("c2", "tiny:1");
        String c = tmp.resolve("root/containers/c2").toString();
        assertThat(root.toString()).isEqualTo(c + "/rootfs");
        assertThat(sys.calls()).singleElement().satisfies(call -> {
            assertThat(call.name()).isEqualTo("mount");
            assertThat(call.args().subList(0, 4)).containsExactly("overlay", c + "/rootfs", "overlay", 0L);
            assertThat((String) call.args().get(4)).startsWith("lowerdir=").endsWith(",upperdir=" + c + "/upper,workdir=" + c + "/work");
        });
        assertThat(sys.mounts()).containsExactly(c + "/rootfs");
        images.snapshotter().remove("c2");
        assertThat(sys.mounts()).isEmpty();
        assertThat(sys.names()).containsExactly("mount", "umount2");
        assertThat(Path.of(c)).doesNotExist();
    }
}
