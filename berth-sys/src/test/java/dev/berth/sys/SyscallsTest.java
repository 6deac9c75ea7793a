package dev.berth.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@link Syscalls} against the running kernel (calls the other modules moved here: the
 * eventfd counter, user xattrs, mknod, the *at calls), and the recording double's kernel-like
 * answers, which the other modules' failure tests rely on.
 */
class SyscallsTest {
    @TempDir Path tmp;
    final Syscalls sys = Syscalls.linux();

    @Test void eventfdCountsWhatIsWritten() {
        int fd = sys.eventfd();
        try {
            sys.eventfdWrite(fd, 2);
            sys.eventfdWrite(fd, 3);
            assertThat(sys.eventfdRead(fd)).isEqualTo(5);
        } finally {
            sys.close(fd);
        }
    }

    @Test void extendedAttributesAndTheirAbsence() throws Exception {
        Path f = Files.writeString(tmp.resolve("f"), "x");
        assertThat(sys.lgetxattr(f.toString(), "user.berth")).isNull();
        try {
            sys.lsetxattr(f.toString(), "user.berth", "yes".getBytes(StandardCharsets.UTF_8));
        } catch (SyscallException e) {
            if (e.errno() == Errno.EOPNOTSUPP) throw new AssertionError("the temp dir's file system has no user xattrs: " + tmp, e);
            throw e;
        }
        assertThat(sys.lgetxattr(f.toString(), "user.berth")).isEqualTo("yes".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> sys.lgetxattr(tmp.resolve("missing").toString(), "user.berth"))
                .isInstanceOf(SyscallException.class).hasMessage("lgetxattr user.berth " + tmp.resolve("missing")
                        + ": No such file or directory (ENOENT)");
    }

    @Test void mknodMakesAFifoAndChmodSetsItsMode() throws Exception {
        Path p = tmp.resolve("fifo");
        sys.mknod(p.toString(), 0010000 | 0600, 0);
        sys.chmod(p.toString(), 0640);
        assertThat(Files.getAttribute(p, "unix:mode")).isEqualTo(0010640);
        assertThatThrownBy(() -> sys.mknod(p.toString(), 0010000 | 0600, 0)).isInstanceOf(SyscallException.class)
                .satisfies(e -> assertThat(((SyscallException) e).errno()).isEqualTo(Errno.EEXIST));
    }

    @Test void atCallsReturnMinusErrno() throws Exception {
        AtCalls at = sys.at();
        int dir = at.open(AtCalls.AT_FDCWD, AtCalls.c(tmp.toString()), AtCalls.O_RDONLY | AtCalls.O_DIRECTORY, 0);
        assertThat(dir).isNotNegative();
        try {
            assertThat(at.mkdir(dir, AtCalls.c("d"), 0755)).isZero();
            assertThat(at.mkdir(dir, AtCalls.c("d"), 0755)).isEqualTo(-AtCalls.EEXIST);
            assertThat(at.lstatMode(dir, AtCalls.c("d")) & AtCalls.S_IFMT).isEqualTo(AtCalls.S_IFDIR);
            assertThat(at.openDir(dir, AtCalls.c("nothing"))).isEqualTo(-AtCalls.ENOENT);
            assertThat(at.symlink(AtCalls.c("d"), dir, AtCalls.c("l"))).isZero();
            assertThat(at.readlink(dir, AtCalls.c("l"))).isEqualTo("d");
            assertThat(at.openDir(dir, AtCalls.c("l"))).isEqualTo(-AtCalls.ENOTDIR);   // never through a symlink
        } finally {
            at.close(dir);
        }
    }

    @Test void makedevAsGlibcEncodesIt() {
        assertThat(Syscalls.makedev(1, 3)).isEqualTo(0x103);
        assertThat(Syscalls.makedev(259, 0)).isEqualTo(0x10300);
    }

    @Test void theRecordingDoubleRecordsAndFailsOnRequest() {
        RecordingSyscalls r = new RecordingSyscalls().failOnce("mount", Errno.EPERM);
        assertThatThrownBy(() -> r.mount("overlay", "/x", "overlay", 0, "lowerdir=/a"))
                .isInstanceOf(SyscallException.class).hasMessage("mount /x: Operation not permitted (EPERM)");
        r.mount("overlay", "/x", "overlay", 0, "lowerdir=/a");   // once only
        assertThat(r.mounts()).containsExactly("/x");
        r.umount2("/x", 0);
        assertThatThrownBy(() -> r.umount2("/x", 0)).isInstanceOf(SyscallException.class).hasMessageContaining("EINVAL");
        int fd = r.open("/f", 0, 0);
        r.close(fd);
        assertThatThrownBy(() -> r.close(fd)).hasMessageContaining("EBADF");   // a double close is caught
        assertThat(r.log()).containsExactly("mount overlay /x overlay 0 lowerdir=/a", "mount overlay /x overlay 0 lowerdir=/a",
                "umount2 /x 0", "umount2 /x 0", "open /f 0 0", "close " + fd, "close " + fd);
        assertThat(r.openFds()).isEmpty();
        assertThatThrownBy(r::at).isInstanceOf(UnsupportedOperationException.class);
    }
}
