package dev.berth.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;

/**
 * The Linux system calls berth's Java side makes, as FFM downcalls into libc.
 *
 * <p>Every function is bound on first use by its own holder class, so that a short-lived JVM
 * ({@code berth-runc run}) pays only for the handful it calls. Failures throw
 * {@link SyscallException} carrying the call, errno and path; {@code EINTR} is retried where
 * retrying is safe (read, write). Constants are compile-time constants with the x86_64 values.
 */
public final class Linux {
    // open(2) flags
    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    public static final int O_CREAT = 0100;
    public static final int O_EXCL = 0200;
    public static final int O_NOCTTY = 0400;
    public static final int O_TRUNC = 01000;
    public static final int O_APPEND = 02000;
    public static final int O_NONBLOCK = 04000;
    public static final int O_DIRECTORY = 0200000;
    public static final int O_NOFOLLOW = 0400000;
    public static final int O_CLOEXEC = 02000000;
    public static final int O_PATH = 010000000;

    // memfd_create(2) flags
    public static final int MFD_CLOEXEC = 0x1;
    public static final int MFD_ALLOW_SEALING = 0x2;
    public static final int MFD_NOEXEC_SEAL = 0x8;
    public static final int MFD_EXEC = 0x10;

    // fcntl(2)
    public static final int F_GETFD = 1;
    public static final int F_SETFD = 2;
    public static final int FD_CLOEXEC = 1;
    public static final int F_ADD_SEALS = 1033;
    public static final int F_GET_SEALS = 1034;
    public static final int F_SEAL_SEAL = 0x1;
    public static final int F_SEAL_SHRINK = 0x2;
    public static final int F_SEAL_GROW = 0x4;
    public static final int F_SEAL_WRITE = 0x8;

    // lseek(2)
    public static final int SEEK_SET = 0;
    public static final int SEEK_CUR = 1;
    public static final int SEEK_END = 2;

    // mount(2) flags
    public static final long MS_RDONLY = 1L;
    public static final long MS_NOSUID = 2L;
    public static final long MS_NODEV = 4L;
    public static final long MS_NOEXEC = 8L;
    public static final long MS_SYNCHRONOUS = 16L;
    public static final long MS_REMOUNT = 32L;
    public static final long MS_MANDLOCK = 64L;
    public static final long MS_DIRSYNC = 128L;
    public static final long MS_NOSYMFOLLOW = 256L;
    public static final long MS_NOATIME = 1024L;
    public static final long MS_NODIRATIME = 2048L;
    public static final long MS_BIND = 4096L;
    public static final long MS_MOVE = 8192L;
    public static final long MS_REC = 16384L;
    public static final long MS_SILENT = 32768L;
    public static final long MS_POSIXACL = 1L << 16;
    public static final long MS_UNBINDABLE = 1L << 17;
    public static final long MS_PRIVATE = 1L << 18;
    public static final long MS_SLAVE = 1L << 19;
    public static final long MS_SHARED = 1L << 20;
    public static final long MS_RELATIME = 1L << 21;
    public static final long MS_STRICTATIME = 1L << 24;
    public static final long MS_LAZYTIME = 1L << 25;

    // umount2(2) flags
    public static final int MNT_FORCE = 1;
    public static final int MNT_DETACH = 2;
    public static final int MNT_EXPIRE = 4;
    public static final int UMOUNT_NOFOLLOW = 8;

    // namespaces (clone(2), setns(2))
    public static final int CLONE_NEWTIME = 0x00000080;
    public static final int CLONE_NEWNS = 0x00020000;
    public static final int CLONE_NEWCGROUP = 0x02000000;
    public static final int CLONE_NEWUTS = 0x04000000;
    public static final int CLONE_NEWIPC = 0x08000000;
    public static final int CLONE_NEWUSER = 0x10000000;
    public static final int CLONE_NEWPID = 0x20000000;
    public static final int CLONE_NEWNET = 0x40000000;

    // signals (x86_64 numbering; see Signals for names)
    public static final int SIGHUP = 1;
    public static final int SIGINT = 2;
    public static final int SIGQUIT = 3;
    public static final int SIGABRT = 6;
    public static final int SIGKILL = 9;
    public static final int SIGUSR1 = 10;
    public static final int SIGUSR2 = 12;
    public static final int SIGPIPE = 13;
    public static final int SIGALRM = 14;
    public static final int SIGTERM = 15;
    public static final int SIGCHLD = 17;
    public static final int SIGCONT = 18;
    public static final int SIGSTOP = 19;
    public static final int SIGTSTP = 20;
    public static final int SIGWINCH = 28;
    public static final int SIGSYS = 31;

    // statfs(2) f_type values
    public static final long TMPFS_MAGIC = 0x01021994L;
    public static final long PROC_SUPER_MAGIC = 0x9fa0L;
    public static final long SYSFS_MAGIC = 0x62656572L;
    public static final long CGROUP_SUPER_MAGIC = 0x27e0ebL;
    public static final long CGROUP2_SUPER_MAGIC = 0x63677270L;
    public static final long OVERLAYFS_SUPER_MAGIC = 0x794c7630L;

    // syscall numbers without a glibc wrapper on every supported glibc (x86_64)
    private static final long SYS_PIDFD_SEND_SIGNAL = 424;
    private static final long SYS_PIDFD_OPEN = 434;
    private static final int EINTR = 4;

    private Linux() {
    }

    /**
     * memfd_create(2): an anonymous file living in memory, for handing data to a process we exec
     * (the plan, a seccomp program). Returns the new fd.
     *
     * @param name  shown in /proc/self/fd as {@code memfd:name}; not a path
     * @param flags MFD_* flags; without {@link #MFD_CLOEXEC} the fd survives execve
     */
    public static int memfdCreate(String name, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Native.CAPTURE_LAYOUT);
            int fd = (int) MemfdCreate.H.invokeExact(state, arena.allocateFrom(name), flags);
            if (fd < 0) {
                throw new SyscallException("memfd_create", Native.errno(state), name);
            }
            return fd;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** write(2) all of {@code b} to {@code fd}, looping over short writes and EINTR. */
    public static void writeFully(int fd, byte[] b) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(Math.max(1, b.length));
            MemorySegment.copy(b, 0, buf, ValueLayout.JAVA_BYTE, 0, b.length);
            writeFully(arena, fd, buf, b.length);
        }
    }

    /**
     * write(2) the remaining bytes of {@code src} to {@code fd}, looping over short writes and
     * EINTR; the buffer's position ends at its limit. Direct buffers are written in place.
     */
    public static void writeFully(int fd, ByteBuffer src) {
        int len = src.remaining();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf;
            if (src.isDirect()) {
                buf = MemorySegment.ofBuffer(src);
            } else {
                buf = arena.allocate(Math.max(1, len));
                buf.asByteBuffer().put(src.duplicate());
            }
            writeFully(arena, fd, buf, len);
        }
        src.position(src.limit());
    }

    private static void writeFully(Arena arena, int fd, MemorySegment buf, long len) {
        MemorySegment state = arena.allocate(Native.CAPTURE_LAYOUT);
        long off = 0;
        while (off < len) {
            long n;
            try {
                n = (long) Write.H.invokeExact(state, fd, buf.asSlice(off), len - off);
            } catch (Throwable t) {
                throw Native.rethrow(t);
            }
            if (n < 0) {
                int errno = Native.errno(state);
                if (errno == EINTR) {
                    continue;
                }
                throw new SyscallException("write", errno, "fd " + fd);
            }
            off += n;
        }
    }

    /**
     * read(2) up to {@code len} bytes from {@code fd} into {@code buf[off..]}, retrying EINTR.
     * Returns the number of bytes read, 0 at end of file.
     */
    public static int read(int fd, byte[] buf, int off, int len) {
        java.util.Objects.checkFromIndexSize(off, len, buf.length);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Native.CAPTURE_LAYOUT);
            MemorySegment nbuf = arena.allocate(Math.max(1, len));
            while (true) {
                long n = (long) Read.H.invokeExact(state, fd, nbuf, (long) len);
                if (n >= 0) {
                    MemorySegment.copy(nbuf, ValueLayout.JAVA_BYTE, 0, buf, off, (int) n);
                    return (int) n;
                }
                int errno = Native.errno(state);
                if (errno != EINTR) {
                    throw new SyscallException("read", errno, "fd " + fd);
                }
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** lseek(2): move the file offset of {@code fd}; returns the new offset. */
    public static long lseek(int fd, long offset, int whence) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Native.CAPTURE_LAYOUT);
            long r = (long) Lseek.H.invokeExact(state, fd, offset, whence);
            if (r < 0) {
                throw new SyscallException("lseek", Native.errno(state), "fd " + fd);
            }
            return r;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * open(2) {@code path} with O_* {@code flags}; {@code mode} is used with O_CREAT. Returns the
     * fd. Add {@link #O_CLOEXEC} unless the fd is meant to survive execve.
     */
    public static int open(String path, int flags, int mode) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Native.CAPTURE_LAYOUT);
            int fd = (int) Open.H.invokeExact(state, arena.allocateFrom(path), flags, mode);
            if (fd < 0) {
                throw new SyscallException("open", Native.errno(state), path);
            }
            return fd;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** close(2). EINTR is not retried (Linux has closed the fd anyway) and not reported. */
    public static void close(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Native.CAPTURE_LAYOUT);
            int r = (int) Close.H.invokeExact(state, fd);
            if (r < 0) {
                int errno = Native.errno(state);
                if (errno != EINTR) {
                    throw new SyscallException("close", errno, "fd " + fd);
                }
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** Clears FD_CLOEXEC on {@code fd} (fcntl F_GETFD/F_SETFD) so that it survives execve. */
    public static void clearCloexec(int fd) {
        int flags = fcntl(fd, F_GETFD, 0);
        if ((flags & FD_CLOEXEC) != 0) {
            fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
        }
    }

    /**
     * Adds F_SEAL_* {@code seals} to a memfd created with {@link #MFD_ALLOW_SEALING}
     * (fcntl F_ADD_SEALS), e.g. to make a plan immutable before handing it over.
     */
    public static void addSeals(int fd, int seals) {
        fcntl(fd, F_ADD_SEALS, seals);
    }

    /** fcntl(2) with an int argument; returns the call's result. */
    public static int fcntl(int fd, int cmd, int arg) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Native.CAPTURE_LAYOUT);
            int r = (int) Fcntl.H.invokeExact(state, fd, cmd, arg);
            if (r < 0) {
                throw new SyscallException("fcntl", Native.errno(state), "fd " + fd);
            }
            return r;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * execve(2): replace this process (all of the JVM's threads) with {@code path}. Never returns
     * on success; throws {@link SyscallException} ("execve &lt;path&gt;") on failure. fds without
     * FD_CLOEXEC stay open in the new program.
     *
     * @param argv the full argument vector, argv[0] included
     * @param envp the environment as {@code KEY=value} strings
     */
    public static void execve(String path, String[] argv, String[] envp) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Native.CAPTURE_LAYOUT);
            int r = (int) Execve.H.invokeExact(state, arena.allocateFrom(path),
                    stringArray(arena, argv), stringArray(arena, envp));
            throw new SyscallException("execve", r < 0 ? Native.errno(state) : 0, path);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    private static MemorySegment stringArray(Arena arena, String[] strings) {
        MemorySegment array = arena.allocate(ADDRESS, strings.length + 1L);
        for (int i = 0; i < strings.length; i++) {
            array.setAtIndex(ADDRESS, i, arena.allocateFrom(strings[i]));
        }
        array.setAtIndex(ADDRESS, strings.length, MemorySegment.NULL);
        return array;
    }

    /**
     * kill(2): send {@code sig} to {@code pid}, or to process group {@code -pid} when negative.
     * 0 (our own group) and -1 (every process we may signal) are refused with
     * IllegalArgumentException: as root, a pid that was never parsed must not kill the host.
     */
    public static void kill(int pid, int sig) {
        checkTarget(pid);
        int errno = killErrno(pid, sig);
        if (errno != 0) {
            throw new SyscallException("kill", errno, Integer.toString(pid));
        }
    }

    /**
     * Whether {@code pid} exists, by kill(pid, 0): ESRCH means gone, EPERM means it exists but
     * belongs to someone else. A zombie (exited, not yet reaped) counts as alive.
     */
    public static boolean alive(int pid) {
        if (pid <= 0) {
            throw new IllegalArgumentException("alive: pid " + pid + " is not a process id");
        }
        int errno = killErrno(pid, 0);
        return switch (errno) {
            case 0, Errno.EPERM -> true;
            case Errno.ESRCH -> false;
            default -> throw new SyscallException("kill", errno, Integer.toString(pid));
        };
    }

    private static void checkTarget(int pid) {
        if (pid == 0 || pid == -1) {
            throw new IllegalArgumentException("kill: refusing pid " + pid + " (would signal more than one process group)");
        }
    }

    private static int killErrno(int pid, int sig) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Native.CAPTURE_LAYOUT);
            int r = (int) Kill.H.invokeExact(state, pid, sig);
            return r < 0 ? Native.errno(state) : 0;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * pidfd_open(2): an fd referring to process {@code pid} (Linux 5.3+), immune to pid reuse;
     * the fd is close-on-exec. Signal it with {@link #pidfdSendSignal}.
     */
    public static int pidfdOpen(int pid) {
        long r = syscall("pidfd_open", Integer.toString(pid), SYS_PIDFD_OPEN, pid, 0, 0, 0);
        return (int) r;
    }

    /** pidfd_send_signal(2): send {@code sig} to the process {@code pidfd} refers to. */
    public static void pidfdSendSignal(int pidfd, int sig) {
        syscall("pidfd_send_signal", "fd " + pidfd, SYS_PIDFD_SEND_SIGNAL, pidfd, sig, 0, 0);
    }

    private static long syscall(String name, String subject, long nr, long a, long b, long c, long d) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Native.CAPTURE_LAYOUT);
            long r = (long) Syscall.H.invokeExact(state, nr, a, b, c, d);
            if (r < 0) {
                throw new SyscallException(name, Native.errno(state), subject);
            }
            return r;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** mkfifo(3): create a named pipe at {@code path} with permission bits {@code mode} (umask applies). */
    public static void mkfifo(String path, int mode) {
        pathCall(Mkfifo.H, "mkfifo", path, mode);
    }

    /** getpid(2): this JVM's process id. */
    public static int getpid() {
        try {
            return (int) Getpid.H.invokeExact();
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** geteuid(2): the effective user id (0 when running as root). */
    public static int geteuid() {
        try {
            return (int) Geteuid.H.invokeExact();
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * mount(2). {@code source}, {@code fstype} and {@code data} may be null (bind mounts,
     * remounts, propagation changes). The exception names the target.
     */
    public static void mount(String source, String target, String fstype, long flags, String data) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Native.CAPTURE_LAYOUT);
            int r = (int) Mount.H.invokeExact(state, cstring(arena, source), arena.allocateFrom(target),
                    cstring(arena, fstype), flags, cstring(arena, data));
            if (r < 0) {
                throw new SyscallException("mount", Native.errno(state), target);
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** umount2(2) {@code target} with MNT_* / UMOUNT_* {@code flags}. */
    public static void umount2(String target, int flags) {
        pathCall(Umount2.H, "umount2", target, flags);
    }

    /**
     * setns(2): move the calling thread into the namespace {@code fd} refers to; {@code nstype}
     * is a CLONE_NEW* or 0 (any). Only that thread moves, and the kernel refuses mount and user
     * namespaces (EINVAL) in a multi-threaded process such as the JVM: joining those is the
     * launcher's job, after exec.
     */
    public static void setns(int fd, int nstype) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Native.CAPTURE_LAYOUT);
            int r = (int) Setns.H.invokeExact(state, fd, nstype);
            if (r < 0) {
                throw new SyscallException("setns", Native.errno(state), "fd " + fd);
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * statfs(2) {@code path} and return {@code f_type}, the filesystem's magic number
     * (e.g. {@link #CGROUP2_SUPER_MAGIC}, {@link #PROC_SUPER_MAGIC}).
     */
    public static long statfsType(String path) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Native.CAPTURE_LAYOUT);
            MemorySegment buf = arena.allocate(STATFS_SIZE, 8); // struct statfs; f_type at offset 0
            int r = (int) Statfs.H.invokeExact(state, arena.allocateFrom(path), buf);
            if (r < 0) {
                throw new SyscallException("statfs", Native.errno(state), path);
            }
            return buf.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    private static final long STATFS_SIZE = 120 + 64; // x86_64 sizeof(struct statfs) is 120; slack

    /** pipe2(2): returns {read end, write end}; {@code flags} are O_CLOEXEC / O_NONBLOCK. */
    public static int[] pipe2(int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Native.CAPTURE_LAYOUT);
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            int r = (int) Pipe2.H.invokeExact(state, fds, flags);
            if (r < 0) {
                throw new SyscallException("pipe2", Native.errno(state));
            }
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    private static void pathCall(MethodHandle h, String name, String path, int arg) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Native.CAPTURE_LAYOUT);
            int r = (int) h.invokeExact(state, arena.allocateFrom(path), arg);
            if (r < 0) {
                throw new SyscallException(name, Native.errno(state), path);
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    private static MemorySegment cstring(Arena arena, String s) {
        return s == null ? MemorySegment.NULL : arena.allocateFrom(s);
    }

    // One holder per function: the first call binds it, nothing else is bound.
    private static final class MemfdCreate {
        static final MethodHandle H = Native.libcErrno("memfd_create", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    }

    private static final class Write {
        static final MethodHandle H = Native.libcErrno("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    }

    private static final class Read {
        static final MethodHandle H = Native.libcErrno("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    }

    private static final class Lseek {
        static final MethodHandle H = Native.libcErrno("lseek", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT));
    }

    private static final class Open {
        static final MethodHandle H = Native.libcErrnoVariadic("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), 2);
    }

    private static final class Close {
        static final MethodHandle H = Native.libcErrno("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    }

    private static final class Fcntl {
        static final MethodHandle H = Native.libcErrnoVariadic("fcntl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), 2);
    }

    private static final class Execve {
        static final MethodHandle H = Native.libcErrno("execve", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
    }

    private static final class Kill {
        static final MethodHandle H = Native.libcErrno("kill", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    }

    private static final class Syscall {
        static final MethodHandle H = Native.libcErrnoVariadic("syscall",
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), 1);
    }

    private static final class Mkfifo {
        static final MethodHandle H = Native.libcErrno("mkfifo", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    }

    private static final class Getpid {
        static final MethodHandle H = Native.libc("getpid", FunctionDescriptor.of(JAVA_INT));
    }

    private static final class Geteuid {
        static final MethodHandle H = Native.libc("geteuid", FunctionDescriptor.of(JAVA_INT));
    }

    private static final class Mount {
        static final MethodHandle H = Native.libcErrno("mount",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS));
    }

    private static final class Umount2 {
        static final MethodHandle H = Native.libcErrno("umount2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    }

    private static final class Setns {
        static final MethodHandle H = Native.libcErrno("setns", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    }

    private static final class Statfs {
        static final MethodHandle H = Native.libcErrno("statfs", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    }

    private static final class Pipe2 {
        static final MethodHandle H = Native.libcErrno("pipe2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    }
}
