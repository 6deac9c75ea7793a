package dev.berth.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/** eventfd(2) and its 8-byte counter reads and writes (cgroup v1 OOM notification), for {@link LinuxSyscalls}. */
final class EventFd {
    private EventFd() {}

    static final int EFD_CLOEXEC = 0x80000;

    private static final class Create { static final MethodHandle H = Native.libcErrno("eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT)); }
    private static final class Read { static final MethodHandle H = Native.libcErrno("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG)); }
    private static final class Write { static final MethodHandle H = Native.libcErrno("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG)); }

    /** A close-on-exec eventfd with counter 0. */
    static int create() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Native.CAPTURE_LAYOUT);
            int fd = (int) Create.H.invokeExact(st, 0, EFD_CLOEXEC);
            if (fd < 0) throw new SyscallException("eventfd", Native.errno(st));
            return fd;
        } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /** Blocking read of the counter (8 bytes); returns the count, retrying on EINTR. */
    static long read(int fd) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Native.CAPTURE_LAYOUT);
            MemorySegment buf = a.allocate(JAVA_LONG);
            while (true) {
                long n = (long) Read.H.invokeExact(st, fd, buf, 8L);
                if (n == 8) return buf.get(JAVA_LONG, 0);
                int e = Native.errno(st);
                if (n < 0 && e == Errno.EINTR) continue;
                throw new SyscallException("read eventfd", n < 0 ? e : 0, "fd " + fd);
            }
        } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /** Adds {@code value} to the counter (wakes its reader). */
    static void write(int fd, long value) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Native.CAPTURE_LAYOUT);
            MemorySegment buf = a.allocate(JAVA_LONG);
            buf.set(JAVA_LONG, 0, value);
            long n = (long) Write.H.invokeExact(st, fd, buf, 8L);
            if (n != 8) throw new SyscallException("write eventfd", Native.errno(st), "fd " + fd);
        } catch (Throwable t) { throw Native.rethrow(t); }
    }
}
