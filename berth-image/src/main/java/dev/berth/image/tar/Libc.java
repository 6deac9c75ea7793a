package dev.berth.image.tar;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * The few libc calls the image subsystem needs that java.nio lacks (mknod for whiteouts and
 * devices, chmod with setuid bits, lchown, xattrs, mount for overlayfs). Private to berth-image
 * until berth-sys offers them. Each returns 0 or throws {@link Errno} with the call and path.
 */
public final class Libc {
    private Libc() {}

    /** A failed call: errno, call name, path. */
    public static final class Errno extends java.io.IOException {
        public final int errno;
        public Errno(int errno, String call, String path) {
            super(call + " " + path + ": " + strerror(errno) + " (errno " + errno + ")");
            this.errno = errno;
        }
    }

    public static final int ENOENT = 2, EINVAL = 22, EEXIST = 17, ENODATA = 61, EBUSY = 16, EPERM = 1;
    public static final int S_IFCHR = 0020000, S_IFBLK = 0060000, S_IFIFO = 0010000;
    public static final int MNT_DETACH = 2;

    private static final Linker LINKER = At.LINKER;
    private static final SymbolLookup LIBC = At.LIBC;
    private static final StructLayout STATE = At.STATE;
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong L = ValueLayout.JAVA_LONG;
    private static final ValueLayout P = ValueLayout.ADDRESS;

    private static MethodHandle fn(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(LIBC.find(name).orElseThrow(), fd, Linker.Option.captureCallState("errno"));
    }

    // One holder per call, bound on first use: binding a downcall costs milliseconds of
    // method-handle spinning, and most commands need one or two of these, if any.
    private static final class Mknod { static final MethodHandle H = fn("mknod", FunctionDescriptor.of(I, P, I, L)); }
    private static final class Chmod { static final MethodHandle H = fn("chmod", FunctionDescriptor.of(I, P, I)); }
    private static final class Lchown { static final MethodHandle H = fn("lchown", FunctionDescriptor.of(I, P, I, I)); }
    private static final class Lsetxattr { static final MethodHandle H = fn("lsetxattr", FunctionDescriptor.of(I, P, P, P, L, I)); }
    private static final class Lgetxattr { static final MethodHandle H = fn("lgetxattr", FunctionDescriptor.of(L, P, P, P, L)); }
    private static final class Mount { static final MethodHandle H = fn("mount", FunctionDescriptor.of(I, P, P, P, L, P)); }
    private static final class Umount2 { static final MethodHandle H = fn("umount2", FunctionDescriptor.of(I, P, I)); }
    private static final class Geteuid { static final MethodHandle H = LINKER.downcallHandle(LIBC.find("geteuid").orElseThrow(), FunctionDescriptor.of(I)); }
    private static final class Strerror { static final MethodHandle H = LINKER.downcallHandle(LIBC.find("strerror").orElseThrow(), FunctionDescriptor.of(P, I)); }

    private static void check(long rc, MemorySegment st, String call, Object path) throws Errno {
        if (rc < 0) throw new Errno(At.errno(st), call, String.valueOf(path));
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }

    public static String strerror(int errno) {
        try { return ((MemorySegment) Strerror.H.invokeExact(errno)).reinterpret(256).getString(0); }
        catch (Throwable t) { return "errno " + errno; }
    }

    private static volatile Boolean root;

    /** Effective uid 0: from /proc/self/status (no downcall to bind), else geteuid(2). */
    public static boolean isRoot() {
        Boolean r = root;
        if (r == null) root = r = euid() == 0;
        return r;
    }

    private static int euid() {
        try {
            for (String l : java.nio.file.Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("Uid:")) return Integer.parseInt(l.substring(4).trim().split("\\s+")[1]);   // real, effective, saved, fs
            }
        } catch (java.io.IOException | RuntimeException ignored) { /* below */ }
        try { return (int) Geteuid.H.invokeExact(); } catch (Throwable t) { throw rethrow(t); }
    }

    public static void mknod(Path p, int mode, int major, int minor) throws Errno {
        long dev = ((long) (major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8) | ((long) (minor & 0xffffff00L) << 12) | (minor & 0xffL);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            int rc = (int) Mknod.H.invokeExact(st, a.allocateFrom(p.toString()), mode, dev);
            check(rc, st, "mknod", p);
        } catch (Errno e) { throw e; } catch (Throwable t) { throw rethrow(t); }
    }

    public static void chmod(Path p, int mode) throws Errno {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            int rc = (int) Chmod.H.invokeExact(st, a.allocateFrom(p.toString()), mode);
            check(rc, st, "chmod", p);
        } catch (Errno e) { throw e; } catch (Throwable t) { throw rethrow(t); }
    }

    public static void lchown(Path p, int uid, int gid) throws Errno {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            int rc = (int) Lchown.H.invokeExact(st, a.allocateFrom(p.toString()), uid, gid);
            check(rc, st, "lchown", p);
        } catch (Errno e) { throw e; } catch (Throwable t) { throw rethrow(t); }
    }

    public static void lsetxattr(Path p, String name, byte[] value) throws Errno {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            MemorySegment v = a.allocate(Math.max(1, value.length));
            v.copyFrom(MemorySegment.ofArray(value));
            int rc = (int) Lsetxattr.H.invokeExact(st, a.allocateFrom(p.toString()), a.allocateFrom(name), v, (long) value.length, 0);
            check(rc, st, "lsetxattr " + name, p);
        } catch (Errno e) { throw e; } catch (Throwable t) { throw rethrow(t); }
    }

    /** The xattr value, or null when absent. */
    public static byte[] lgetxattr(Path p, String name) throws Errno {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            MemorySegment buf = a.allocate(4096);
            long n = (long) Lgetxattr.H.invokeExact(st, a.allocateFrom(p.toString()), a.allocateFrom(name), buf, 4096L);
            if (n < 0) {
                int e = At.errno(st);
                if (e == ENODATA) return null;
                throw new Errno(e, "lgetxattr " + name, p.toString());
            }
            return buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
        } catch (Errno e) { throw e; } catch (Throwable t) { throw rethrow(t); }
    }

    public static void mount(String source, Path target, String fstype, long flags, String data) throws Errno {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            MemorySegment d = data == null ? MemorySegment.NULL : a.allocateFrom(data);
            int rc = (int) Mount.H.invokeExact(st, a.allocateFrom(source), a.allocateFrom(target.toString()),
                    a.allocateFrom(fstype), flags, d);
            check(rc, st, "mount " + fstype, target);
        } catch (Errno e) { throw e; } catch (Throwable t) { throw rethrow(t); }
    }

    public static void umount2(Path target, int flags) throws Errno {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            int rc = (int) Umount2.H.invokeExact(st, a.allocateFrom(target.toString()), flags);
            check(rc, st, "umount2", target);
        } catch (Errno e) { throw e; } catch (Throwable t) { throw rethrow(t); }
    }
}
