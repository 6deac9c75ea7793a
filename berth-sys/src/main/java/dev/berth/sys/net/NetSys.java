package dev.berth.sys.net;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.berth.sys.SyscallException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/** The few libc calls of {@link Netlink} and {@link NetNs} (socket, sendto, recv, unshare), bound on first use. */
final class NetSys {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final int EINTR = 4;

    private NetSys() {
    }

    private static MethodHandle bind(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(() -> new UnsatisfiedLinkError(name)), fd,
                Linker.Option.captureCallState("errno"));
    }

    private static final class Socket {
        static final MethodHandle H = bind("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    }

    private static final class SendTo {
        static final MethodHandle H = bind("sendto", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    }

    private static final class Recv {
        static final MethodHandle H = bind("recv", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    }

    private static final class Unshare {
        static final MethodHandle H = bind("unshare", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    }

    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) throw r;
        if (t instanceof Error e) throw e;
        throw new IllegalStateException("native call failed", t);
    }

    static int socket(int domain, int type, int protocol) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(CAPTURE);
            int fd = (int) Socket.H.invokeExact(st, domain, type, protocol);
            if (fd < 0) throw new SyscallException("socket", (int) ERRNO.get(st, 0L), "netlink");
            return fd;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** sendto(2) the whole message to the kernel (sockaddr_nl pid 0). */
    static void sendToKernel(int fd, byte[] msg) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(CAPTURE);
            MemorySegment buf = Netlink.copy(a, msg);
            MemorySegment addr = a.allocate(12);
            addr.set(ValueLayout.JAVA_SHORT, 0, (short) Netlink.AF_NETLINK);
            for (;;) {
                long n = (long) SendTo.H.invokeExact(st, fd, buf, (long) msg.length, 0, addr, 12);
                if (n >= 0) return;
                int e = (int) ERRNO.get(st, 0L);
                if (e != EINTR) throw new SyscallException("sendto", e, "netlink");
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int recv(int fd, byte[] into) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(CAPTURE);
            MemorySegment buf = a.allocate(into.length);
            for (;;) {
                long n = (long) Recv.H.invokeExact(st, fd, buf, (long) into.length, 0);
                if (n >= 0) {
                    MemorySegment.copy(buf, ValueLayout.JAVA_BYTE, 0, into, 0, (int) n);
                    return (int) n;
                }
                int e = (int) ERRNO.get(st, 0L);
                if (e != EINTR) throw new SyscallException("recv", e, "netlink");
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void unshare(int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(CAPTURE);
            int r = (int) Unshare.H.invokeExact(st, flags);
            if (r < 0) throw new SyscallException("unshare", (int) ERRNO.get(st, 0L));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
