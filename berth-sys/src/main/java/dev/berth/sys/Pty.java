package dev.berth.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;

/**
 * A pty master received from berth-launch over a console socket (runc's {@code --console-socket}
 * protocol: one SCM_RIGHTS message carrying the master, its payload the peer's name), and what a
 * long-lived process does with it: wait for data, resize. Reading and writing use
 * {@link Linux#read} and {@link Linux#writeFully}.
 */
public final class Pty {
    private Pty() {
    }

    public static final short POLLIN = 0x1;
    public static final short POLLERR = 0x8;
    public static final short POLLHUP = 0x10;
    public static final short POLLNVAL = 0x20;

    private static final int AF_UNIX = 1;
    private static final int SOCK_STREAM = 1;
    private static final int SOCK_CLOEXEC = 02000000;
    private static final int MSG_CMSG_CLOEXEC = 0x40000000;
    private static final int SOL_SOCKET = 1;
    private static final int SCM_RIGHTS = 1;
    private static final long TIOCSWINSZ = 0x5414;
    private static final int EINTR = 4;

    /** A listening unix stream socket bound at {@code path} (close-on-exec); returns its fd. */
    public static int listen(String path) {
        byte[] p = path.getBytes(StandardCharsets.UTF_8);
        if (p.length >= 108) throw new SyscallException("bind", 36 /* ENAMETOOLONG */, path);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Native.CAPTURE_LAYOUT);
            int fd = (int) Socket.H.invokeExact(state, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (fd < 0) throw new SyscallException("socket", Native.errno(state), path);
            MemorySegment sa = arena.allocate(110);
            sa.set(JAVA_SHORT, 0, (short) AF_UNIX);
            MemorySegment.copy(p, 0, sa, ValueLayout.JAVA_BYTE, 2, p.length);
            if ((int) Bind.H.invokeExact(state, fd, sa, 110) < 0) {
                int e = Native.errno(state);
                Linux.close(fd);
                throw new SyscallException("bind", e, path);
            }
            if ((int) Listen.H.invokeExact(state, fd, 1) < 0) {
                int e = Native.errno(state);
                Linux.close(fd);
                throw new SyscallException("listen", e, path);
            }
            return fd;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * poll(2) one fd for {@code events}; returns its revents, 0 on timeout (also when a signal
     * interrupted the wait).
     */
    public static int poll(int fd, short events, int timeoutMs) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Native.CAPTURE_LAYOUT);
            MemorySegment pfd = arena.allocate(8);
            pfd.set(JAVA_INT, 0, fd);
            pfd.set(JAVA_SHORT, 4, events);
            int r = (int) Poll.H.invokeExact(state, pfd, 1L, timeoutMs);
            if (r < 0) {
                int e = Native.errno(state);
                if (e == EINTR) return 0;
                throw new SyscallException("poll", e, "fd " + fd);
            }
            return r == 0 ? 0 : pfd.get(JAVA_SHORT, 6) & 0xffff;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** accept4(2) a connection (close-on-exec); returns its fd. */
    public static int accept(int listenFd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Native.CAPTURE_LAYOUT);
            while (true) {
                int fd = (int) Accept4.H.invokeExact(state, listenFd, MemorySegment.NULL, MemorySegment.NULL, SOCK_CLOEXEC);
                if (fd >= 0) return fd;
                int e = Native.errno(state);
                if (e != EINTR) throw new SyscallException("accept4", e, "fd " + listenFd);
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * Receives one file descriptor (SCM_RIGHTS, made close-on-exec) from a connected unix socket;
     * throws if the message carries none.
     */
    public static int receiveFd(int sock) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Native.CAPTURE_LAYOUT);
            MemorySegment data = arena.allocate(256);
            MemorySegment iov = arena.allocate(16);
            iov.set(ADDRESS, 0, data);
            iov.set(JAVA_LONG, 8, 256L);
            MemorySegment control = arena.allocate(64, 8);
            MemorySegment msg = arena.allocate(56, 8);
            msg.set(ADDRESS, 16, iov);
            msg.set(JAVA_LONG, 24, 1L);
            msg.set(ADDRESS, 32, control);
            msg.set(JAVA_LONG, 40, 64L);
            long n;
            while ((n = (long) Recvmsg.H.invokeExact(state, sock, msg, MSG_CMSG_CLOEXEC)) < 0) {
                int e = Native.errno(state);
                if (e != EINTR) throw new SyscallException("recvmsg", e, "fd " + sock);
            }
            long controlLen = msg.get(JAVA_LONG, 40);
            if (controlLen < 20 || control.get(JAVA_INT, 8) != SOL_SOCKET || control.get(JAVA_INT, 12) != SCM_RIGHTS) {
                throw new SyscallException("recvmsg", 22 /* EINVAL */, "no file descriptor received (" + n + " bytes)");
            }
            return control.get(JAVA_INT, 16);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** TIOCSWINSZ: the terminal's size (the process in its foreground gets SIGWINCH). */
    public static void resize(int fd, int rows, int cols) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Native.CAPTURE_LAYOUT);
            MemorySegment ws = arena.allocate(8);
            ws.set(JAVA_SHORT, 0, (short) rows);
            ws.set(JAVA_SHORT, 2, (short) cols);
            if ((int) Ioctl.H.invokeExact(state, fd, TIOCSWINSZ, ws) < 0) {
                throw new SyscallException("ioctl(TIOCSWINSZ)", Native.errno(state), "fd " + fd);
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    private static final class Socket {
        static final MethodHandle H = Native.libcErrno("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    }

    private static final class Bind {
        static final MethodHandle H = Native.libcErrno("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    }

    private static final class Listen {
        static final MethodHandle H = Native.libcErrno("listen", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    }

    private static final class Accept4 {
        static final MethodHandle H = Native.libcErrno("accept4",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    }

    private static final class Recvmsg {
        static final MethodHandle H = Native.libcErrno("recvmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    }

    private static final class Poll {
        static final MethodHandle H = Native.libcErrno("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    }

    private static final class Ioctl {
        static final MethodHandle H = Native.libcErrnoVariadic("ioctl",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), 2);
    }
}
