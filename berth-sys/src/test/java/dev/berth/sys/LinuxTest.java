package dev.berth.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real system calls against the running kernel, as any user; root-only ones are in {@link LinuxRootTest}. */
class LinuxTest {
    @TempDir
    Path tmp;

    @Test
    void memfdRoundTripThroughProcSelfFd() throws Exception {
        int fd = Linux.memfdCreate("berth-test", Linux.MFD_CLOEXEC | Linux.MFD_ALLOW_SEALING);
        try {
            Linux.writeFully(fd, "hello ".getBytes(StandardCharsets.UTF_8));
            Linux.writeFully(fd, ByteBuffer.wrap("heap ".getBytes(StandardCharsets.UTF_8)));
            ByteBuffer direct = ByteBuffer.allocateDirect(6).put("direct".getBytes(StandardCharsets.UTF_8)).flip();
            Linux.writeFully(fd, direct);
            assertThat(direct.hasRemaining()).isFalse();

            assertThat(Files.readString(Path.of("/proc/self/fd/" + fd))).isEqualTo("hello heap direct");
            assertThat(Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString())
                    .startsWith("/memfd:berth-test");

            assertThat(Linux.lseek(fd, 0, Linux.SEEK_SET)).isZero();
            byte[] buf = new byte[64];
            int n = Linux.read(fd, buf, 2, 10);
            assertThat(new String(buf, 2, n, StandardCharsets.UTF_8)).isEqualTo("hello heap");

            Linux.addSeals(fd, Linux.F_SEAL_WRITE);
            SyscallException e = catchThrowableOfType(SyscallException.class,
                    () -> Linux.writeFully(fd, new byte[] {1}));
            assertThat(e.errnoName()).isEqualTo("EPERM");
        } finally {
            Linux.close(fd);
        }
    }

    @Test
    void clearCloexecClearsTheFlag() {
        int fd = Linux.memfdCreate("cloexec", Linux.MFD_CLOEXEC);
        try {
            assertThat(Linux.fcntl(fd, Linux.F_GETFD, 0) & Linux.FD_CLOEXEC).isEqualTo(Linux.FD_CLOEXEC);
            Linux.clearCloexec(fd);
            assertThat(Linux.fcntl(fd, Linux.F_GETFD, 0) & Linux.FD_CLOEXEC).isZero();
        } finally {
            Linux.close(fd);
        }
    }

    @Test
    void openErrorCarriesErrnoAndPath() {
        String missing = tmp.resolve("x/y").toString();
        SyscallException e = catchThrowableOfType(SyscallException.class,
                () -> Linux.open(missing, Linux.O_RDONLY | Linux.O_CLOEXEC, 0));
        assertThat(e.syscall()).isEqualTo("open");
        assertThat(e.errno()).isEqualTo(Errno.ENOENT);
        assertThat(e.errnoName()).isEqualTo("ENOENT");
        assertThat(e.path()).isEqualTo(missing);
        assertThat(e).hasMessage("open " + missing + ": No such file or directory (ENOENT)");
    }

    @Test
    void openCreateWriteReadAndReadErrors() throws Exception {
        String file = tmp.resolve("f").toString();
        int fd = Linux.open(file, Linux.O_WRONLY | Linux.O_CREAT | Linux.O_EXCL | Linux.O_CLOEXEC, 0640);
        try {
            Linux.writeFully(fd, "abc".getBytes(StandardCharsets.UTF_8));
            // reading a write-only fd fails with EBADF
            SyscallException e = catchThrowableOfType(SyscallException.class,
                    () -> Linux.read(fd, new byte[4], 0, 4));
            assertThat(e.errno()).isEqualTo(Errno.EBADF);
            assertThat(e).hasMessage("read fd " + fd + ": Bad file descriptor (EBADF)");
        } finally {
            Linux.close(fd);
        }
        assertThat(Files.getPosixFilePermissions(Path.of(file)))
                .isEqualTo(PosixFilePermissions.fromString("rw-r-----"));
        assertThatThrownBy(() -> Linux.open(file, Linux.O_WRONLY | Linux.O_CREAT | Linux.O_EXCL, 0600))
                .isInstanceOfSatisfying(SyscallException.class, ex -> assertThat(ex.errno()).isEqualTo(Errno.EEXIST));

        int rd = Linux.open(file, Linux.O_RDONLY | Linux.O_CLOEXEC, 0);
        try {
            byte[] buf = new byte[8];
            assertThat(Linux.read(rd, buf, 0, 8)).isEqualTo(3);
            assertThat(Linux.read(rd, buf, 0, 8)).isZero();
        } finally {
            Linux.close(rd);
        }
        assertThatThrownBy(() -> Linux.close(rd))
                .isInstanceOfSatisfying(SyscallException.class, ex -> assertThat(ex.errno()).isEqualTo(Errno.EBADF));
    }

    @Test
    void pipe2CarriesBytes() {
        int[] p = Linux.pipe2(Linux.O_CLOEXEC);
        try {
            Linux.writeFully(p[1], "ping".getBytes(StandardCharsets.UTF_8));
            byte[] buf = new byte[16];
            assertThat(new String(buf, 0, Linux.read(p[0], buf, 0, 16), StandardCharsets.UTF_8)).isEqualTo("ping");
            assertThat(Linux.fcntl(p[0], Linux.F_GETFD, 0) & Linux.FD_CLOEXEC).isEqualTo(Linux.FD_CLOEXEC);
        } finally {
            Linux.close(p[0]);
            Linux.close(p[1]);
        }
    }

    @Test
    void fifoPassesBytesBetweenEnds() throws Exception {
        Path fifo = tmp.resolve("exec.fifo");
        Linux.mkfifo(fifo.toString(), 0622);
        assertThat(Files.isRegularFile(fifo)).isFalse();
        assertThat(Files.exists(fifo)).isTrue();
        // O_RDWR on a fifo does not block on Linux, so one fd serves both ends here.
        int rd = Linux.open(fifo.toString(), Linux.O_RDONLY | Linux.O_NONBLOCK | Linux.O_CLOEXEC, 0);
        int wr = Linux.open(fifo.toString(), Linux.O_WRONLY | Linux.O_CLOEXEC, 0);
        try {
            Linux.writeFully(wr, new byte[] {'0'});
            byte[] b = new byte[1];
            assertThat(Linux.read(rd, b, 0, 1)).isEqualTo(1);
            assertThat(b[0]).isEqualTo((byte) '0');
        } finally {
            Linux.close(wr);
            Linux.close(rd);
        }
        assertThatThrownBy(() -> Linux.mkfifo(fifo.toString(), 0600))
                .hasMessage("mkfifo " + fifo + ": File exists (EEXIST)");
    }

    @Test
    void killAndAliveOnAChild() throws Exception {
        Process p = new ProcessBuilder("sleep", "60").start();
        int pid = (int) p.pid();
        try {
            assertThat(Linux.alive(pid)).isTrue();
            Linux.kill(pid, Linux.SIGTERM);
            assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isEqualTo(128 + Linux.SIGTERM);
            assertThat(Linux.alive(pid)).isFalse();
            SyscallException e = catchThrowableOfType(SyscallException.class, () -> Linux.kill(pid, 0));
            assertThat(e.errno()).isEqualTo(Errno.ESRCH);
            assertThat(e).hasMessage("kill " + pid + ": No such process (ESRCH)");
        } finally {
            p.destroyForcibly();
        }
        assertThatThrownBy(() -> Linux.kill(-1, Linux.SIGKILL)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("refusing pid -1");
        assertThatThrownBy(() -> Linux.kill(0, Linux.SIGKILL)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Linux.alive(0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(Linux.alive(1)).isTrue();
        assertThat(Linux.alive(Linux.getpid())).isTrue();
        assertThat(Linux.getpid()).isEqualTo(ProcessHandle.current().pid());
    }

    @Test
    void pidfdSignalsAChild() throws Exception {
        Process p = new ProcessBuilder("sleep", "60").start();
        try {
            int pidfd = Linux.pidfdOpen((int) p.pid());
            try {
                assertThat(Linux.fcntl(pidfd, Linux.F_GETFD, 0) & Linux.FD_CLOEXEC).isEqualTo(Linux.FD_CLOEXEC);
                Linux.pidfdSendSignal(pidfd, Linux.SIGKILL);
                assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
                assertThat(p.exitValue()).isEqualTo(128 + Linux.SIGKILL);
                SyscallException e = catchThrowableOfType(SyscallException.class,
                        () -> Linux.pidfdSendSignal(pidfd, Linux.SIGKILL));
                assertThat(e.errno()).isEqualTo(Errno.ESRCH);
                assertThat(e.syscall()).isEqualTo("pidfd_send_signal");
            } finally {
                Linux.close(pidfd);
            }
        } finally {
            p.destroyForcibly();
        }
        assertThatThrownBy(() -> Linux.pidfdOpen(-5))
                .isInstanceOfSatisfying(SyscallException.class, e -> assertThat(e.errnoName()).isEqualTo("EINVAL"));
    }

    @Test
    void statfsKnowsProc() {
        assertThat(Linux.statfsType("/proc")).isEqualTo(Linux.PROC_SUPER_MAGIC);
    }

    @Test
    void execveFailureThrows() {
        String missing = tmp.resolve("no-such-binary").toString();
        assertThatThrownBy(() -> Linux.execve(missing, new String[] {missing}, new String[0]))
                .hasMessage("execve " + missing + ": No such file or directory (ENOENT)");
    }

    @Test
    void errnoTables() {
        assertThat(Errno.name(Errno.EAGAIN)).isEqualTo("EAGAIN");
        assertThat(Errno.name(95)).isEqualTo("EOPNOTSUPP");
        assertThat(Errno.description(Errno.EACCES)).isEqualTo("Permission denied");
        assertThat(Errno.name(4000)).isEqualTo("E4000");
        assertThat(new SyscallException("setns", Errno.EINVAL)).hasMessage("setns: Invalid argument (EINVAL)");
    }
}
