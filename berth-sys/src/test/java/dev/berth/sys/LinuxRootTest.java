package dev.berth.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** System calls that need root (CI is root; -Dberth.skipRootTests=true leaves them out). */
@Tag("root")
class LinuxRootTest {
    @TempDir
    Path tmp;

    @Test
    void mountAndUnmountATmpfs() throws Exception {
        assertThat(Linux.geteuid()).as("mount test needs root").isZero();
        Path dir = Files.createDirectory(tmp.resolve("mnt"));
        long before = Linux.statfsType(dir.toString());
        Linux.mount("berth-test", dir.toString(), "tmpfs", Linux.MS_NOSUID | Linux.MS_NODEV, "size=1m,mode=0700");
        try {
            assertThat(Linux.statfsType(dir.toString())).isEqualTo(Linux.TMPFS_MAGIC);
            Files.writeString(dir.resolve("inside"), "x");
            assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).contains(" " + dir + " ");
        } finally {
            Linux.umount2(dir.toString(), Linux.MNT_DETACH);
        }
        assertThat(Files.exists(dir.resolve("inside"))).isFalse();
        assertThat(Linux.statfsType(dir.toString())).isEqualTo(before);
        assertThatThrownBy(() -> Linux.umount2(dir.toString(), 0))
                .isInstanceOfSatisfying(SyscallException.class, e -> {
                    assertThat(e.errno()).isEqualTo(Errno.EINVAL);
                    assertThat(e.path()).isEqualTo(dir.toString());
                });
        assertThatThrownBy(() -> Linux.mount(null, tmp.resolve("nope").toString(), "tmpfs", 0, null))
                .hasMessage("mount " + tmp.resolve("nope") + ": No such file or directory (ENOENT)");
    }

    @Test
    void setnsIntoOwnNamespaceAndBadFd() {
        int fd = Linux.open("/proc/self/ns/uts", Linux.O_RDONLY | Linux.O_CLOEXEC, 0);
        try {
            Linux.setns(fd, Linux.CLONE_NEWUTS); // joining the namespace we are in is allowed
            assertThatThrownBy(() -> Linux.setns(fd, Linux.CLONE_NEWNET))
                    .isInstanceOfSatisfying(SyscallException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
        } finally {
            Linux.close(fd);
        }
    }
}
