package dev.berth.cgroups.fs;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The few libc calls this module needs (eventfd, open, read, write, close), through FFM. Kept
 * private to berth-cgroups so the module depends on nothing else in berth.
 * Each returns the libc result; on -1 it throws {@link NativeException} with the errno.
 */
public final class Native {
    private Native() {}

    public static final int O_RDONLY = 0, O_CLOEXEC = 0x80000, EFD_CLOEXEC = 0x80000, EINTR = 4;

    public static final class NativeException extends RuntimeException {
        public final int errno;
        NativeException(String call, int errno) {
            super(call + ": errno " + errno);
            this.errno = errno;
        }
    }

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CCS = Linker.Option.captureCallState("errno");

    private static MethodHandle fn(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), fd, CCS);
    }

    private static final MethodHandle EVENTFD = fn("eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle OPEN = fn("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle READ = fn("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle WRITE = fn("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle CLOSE = fn("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    public static int eventfd() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(CAPTURE);
            int fd = (int) EVENTFD.invokeExact(st, 0, EFD_CLOEXEC);
            if (fd < 0) throw new NativeException("eventfd", errno(st));
            return fd;
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    public static int open(String path, int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(CAPTURE);
            int fd = (int) OPEN.invokeExact(st, a.allocateFrom(path), flags);
            if (fd < 0) throw new NativeException("open " + path, errno(st));
            return fd;
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Blocking read of one eventfd counter (8 bytes); returns the count, retrying on EINTR. */
    public static long readCounter(int fd) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(CAPTURE);
            MemorySegment buf = a.allocate(JAVA_LONG);
            while (true) {
                long n = (long) READ.invokeExact(st, fd, buf, 8L);
                if (n == 8) return buf.get(JAVA_LONG, 0);
                int e = errno(st);
                if (n < 0 && e == EINTR) continue;
                throw new NativeException("read eventfd", n < 0 ? e : 0);
            }
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Adds {@code value} to an eventfd counter (wakes its reader). */
    public static void writeCounter(int fd, long value) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(CAPTURE);
            MemorySegment buf = a.allocate(JAVA_LONG);
            buf.set(JAVA_LONG, 0, value);
            long n = (long) WRITE.invokeExact(st, fd, buf, 8L);
            if (n != 8) throw new NativeException("write eventfd", errno(st));
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    public static void close(int fd) {
        try (Arena a = Arena.ofConfined()) {
            int r = (int) CLOSE.invokeExact(a.allocate(CAPTURE), fd);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

}
