package dev.berth.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * Path-based file calls java.nio lacks (mknod for whiteouts and devices, chmod with setuid bits,
 * lchown, extended attributes), for {@link LinuxSyscalls}. One holder per call, bound on first use:
 * binding a downcall costs milliseconds, and most commands need one or two of these, if any.
 */
final class FileCalls {
    private FileCalls() {}

    private static final class Mknod { static final MethodHandle H = Native.libcErrno("mknod", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG)); }
    private static final class Chmod { static final MethodHandle H = Native.libcErrno("chmod", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT)); }
    private static final class Lchown { static final MethodHandle H = Native.libcErrno("lchown", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT)); }
    private static final class Lsetxattr { static final MethodHandle H = Native.libcErrno("lsetxattr", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT)); }
    private static final class Lgetxattr { static final MethodHandle H = Native.libcErrno("lgetxattr", FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG)); }

    static void mknod(String path, int mode, long dev) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Native.CAPTURE_LAYOUT);
            int rc = (int) Mknod.H.invokeExact(st, a.allocateFrom(path), mode, dev);
            if (rc < 0) throw new SyscallException("mknod", Native.errno(st), path);
        } catch (Throwable t) { throw Native.rethrow(t); }
    }

    static void chmod(String path, int mode) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Native.CAPTURE_LAYOUT);
            int rc = (int) Chmod.H.invokeExact(st, a.allocateFrom(path), mode);
            if (rc < 0) throw new SyscallException("chmod", Native.errno(st), path);
        } catch (Throwable t) { throw Native.rethrow(t); }
    }

    static void lchown(String path, int uid, int gid) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Native.CAPTURE_LAYOUT);
            int rc = (int) Lchown.H.invokeExact(st, a.allocateFrom(path), uid, gid);
            if (rc < 0) throw new SyscallException("lchown", Native.errno(st), path);
        } catch (Throwable t) { throw Native.rethrow(t); }
    }

    static void lsetxattr(String path, String name, byte[] value) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Native.CAPTURE_LAYOUT);
            MemorySegment v = a.allocate(Math.max(1, value.length));
            v.copyFrom(MemorySegment.ofArray(value));
            int rc = (int) Lsetxattr.H.invokeExact(st, a.allocateFrom(path), a.allocateFrom(name), v, (long) value.length, 0);
            if (rc < 0) throw new SyscallException("lsetxattr " + name, Native.errno(st), path);
        } catch (Throwable t) { throw Native.rethrow(t); }
    }

    static byte[] lgetxattr(String path, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Native.CAPTURE_LAYOUT);
            MemorySegment buf = a.allocate(4096);
            long n = (long) Lgetxattr.H.invokeExact(st, a.allocateFrom(path), a.allocateFrom(name), buf, 4096L);
            if (n < 0) {
                int e = Native.errno(st);
                if (e == AtCalls.ENODATA) return null;
                throw new SyscallException("lgetxattr " + name, e, path);
            }
            return buf.asSlice(0, n).toArray(JAVA_BYTE);
        } catch (Throwable t) { throw Native.rethrow(t); }
    }
}
