package dev.berth.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;

/**
 * The real {@link AtCalls}: names, buffers and result structs stay on the Java heap (critical
 * downcalls with heap access): no native memory per call. One instance per thread (the errno
 * capture buffer is its own). Handles are bound on first use of each call.
 */
final class LinuxAtCalls implements AtCalls {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong L = ValueLayout.JAVA_LONG;
    private static final ValueLayout P = ValueLayout.ADDRESS;

    /** The errno a downcall saved in a capture-state segment of {@link #STATE}'s layout. */
    private static int errno(MemorySegment st) { return (int) ERRNO.get(st, 0L); }

    private static MethodHandle fn(String name, FunctionDescriptor fd, Linker.Option... more) {
        Linker.Option[] o = java.util.Arrays.copyOf(more, more.length + 2);
        o[more.length] = Linker.Option.captureCallState("errno");
        o[more.length + 1] = Linker.Option.critical(true);
        return LINKER.downcallHandle(LIBC.find(name).orElseThrow(), fd, o);
    }

    /*
     * The JDK links (spins method handles and a native stub) once per descriptor, tens of ms of
     * CPU each: the calls every layer makes share one, long f(int, pointer, long, long). Callers
     * pass unused trailing arguments as 0 (the callee never reads them: System V x86-64 and
     * AAPCS64 pass them in scratch registers) and narrow int results with (int), which also
     * undoes the zero extension of a 32-bit -1.
     */
    private static final FunctionDescriptor IPJJ = FunctionDescriptor.of(L, I, P, L, L);

    // one holder per call: bound when first used (most layers need only a few)
    private static final class Open { static final MethodHandle H = fn("openat", FunctionDescriptor.of(I, I, P, I, I),
            Linker.Option.firstVariadicArg(3)); }
    private static final class Mkdir { static final MethodHandle H = fn("mkdirat", IPJJ); }
    private static final class Write { static final MethodHandle H = fn("write", IPJJ); }
    private static final class Close { static final MethodHandle H = fn("close", IPJJ); }
    private static final class Fchown { static final MethodHandle H = fn("fchown", FunctionDescriptor.of(I, I, I, I)); }
    private static final class Fchmod { static final MethodHandle H = fn("fchmod", FunctionDescriptor.of(I, I, I)); }
    private static final class Futimens { static final MethodHandle H = fn("futimens", IPJJ); }
    private static final class Utimensat { static final MethodHandle H = fn("utimensat", FunctionDescriptor.of(I, I, P, P, I)); }
    private static final class Fchownat { static final MethodHandle H = fn("fchownat", FunctionDescriptor.of(I, I, P, I, I, I)); }
    private static final class Fchmodat { static final MethodHandle H = fn("fchmodat", FunctionDescriptor.of(I, I, P, I, I)); }
    private static final class Symlinkat { static final MethodHandle H = fn("symlinkat", FunctionDescriptor.of(I, P, I, P)); }
    private static final class Linkat { static final MethodHandle H = fn("linkat", FunctionDescriptor.of(I, I, P, I, P, I)); }
    private static final class Unlinkat { static final MethodHandle H = fn("unlinkat", FunctionDescriptor.of(I, I, P, I)); }
    private static final class Mknodat { static final MethodHandle H = fn("mknodat", FunctionDescriptor.of(I, I, P, I, L)); }
    private static final class Statx { static final MethodHandle H = fn("statx", FunctionDescriptor.of(I, I, P, I, I, P)); }
    private static final class Readlinkat { static final MethodHandle H = fn("readlinkat", FunctionDescriptor.of(L, I, P, P, L)); }
    private static final class Getdents { static final MethodHandle H = fn("getdents64", IPJJ); }
    private static final class Read { static final MethodHandle H = fn("read", IPJJ); }
    private static final class Pwrite { static final MethodHandle H = fn("pwrite", IPJJ); }
    private static final class Ftruncate { static final MethodHandle H = fn("ftruncate", FunctionDescriptor.of(I, I, L)); }
    private static final class Lgetxattr { static final MethodHandle H = fn("lgetxattr", FunctionDescriptor.of(L, P, P, P, L)); }
    private static final class Fsetxattr { static final MethodHandle H = fn("fsetxattr", FunctionDescriptor.of(I, I, P, P, L, I)); }

    private final MemorySegment st = Arena.ofAuto().allocate(STATE);
    private final long[] times = new long[4];
    private final long[] statx = new long[32];   // struct statx: 256 bytes

    private int rc(long r) { return r < 0 ? -errno(st) : (int) r; }

    private static RuntimeException fail(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }

    private static MemorySegment seg(byte[] b) { return MemorySegment.ofArray(b); }

    @Override public int open(int dirfd, byte[] name, int flags, int mode) {
        while (true) {
            try {
                int r = rc((int) Open.H.invokeExact(st, dirfd, seg(name), flags | O_CLOEXEC, mode));
                if (r != -EINTR) return r;
            } catch (Throwable t) { throw fail(t); }
        }
    }

    @Override public int mkdir(int dirfd, byte[] name, int mode) {
        try { return rc((int) (long) Mkdir.H.invokeExact(st, dirfd, seg(name), (long) mode, 0L)); } catch (Throwable t) { throw fail(t); }
    }

    /** Writes all of {@code b[off, off+len)}: 0 or -errno. */
    @Override public int writeAll(int fd, byte[] b, int off, int len) {
        MemorySegment all = seg(b);
        while (len > 0) {
            long n;
            try { n = (long) Write.H.invokeExact(st, fd, all.asSlice(off, len), (long) len, 0L); } catch (Throwable t) { throw fail(t); }
            if (n < 0) {
                int e = rc(n);
                if (e == -EINTR) continue;
                return e;
            }
            off += (int) n;
            len -= (int) n;
        }
        return 0;
    }

    @Override public int close(int fd) {
        try { return rc((int) (long) Close.H.invokeExact(st, fd, MemorySegment.NULL, 0L, 0L)); } catch (Throwable t) { throw fail(t); }
    }

    @Override public int fchown(int fd, int uid, int gid) {
        try { return rc((int) Fchown.H.invokeExact(st, fd, uid, gid)); } catch (Throwable t) { throw fail(t); }
    }

    @Override public int fchmod(int fd, int mode) {
        try { return rc((int) Fchmod.H.invokeExact(st, fd, mode)); } catch (Throwable t) { throw fail(t); }
    }

    private MemorySegment times(long millis) {
        long s = Math.floorDiv(millis, 1000), ns = Math.floorMod(millis, 1000) * 1_000_000L;
        times[0] = s; times[1] = ns; times[2] = s; times[3] = ns;
        return MemorySegment.ofArray(times);
    }

    /** atime and mtime of an open file. */
    @Override public int futimens(int fd, long millis) {
        try { return rc((int) (long) Futimens.H.invokeExact(st, fd, times(millis), 0L, 0L)); } catch (Throwable t) { throw fail(t); }
    }

    /** atime and mtime of {@code name} itself (a symlink is not followed). */
    @Override public int utimens(int dirfd, byte[] name, long millis) {
        try { return rc((int) Utimensat.H.invokeExact(st, dirfd, seg(name), times(millis), AT_SYMLINK_NOFOLLOW)); }
        catch (Throwable t) { throw fail(t); }
    }

    /** Owner of {@code name} itself (a symlink is not followed). */
    @Override public int lchown(int dirfd, byte[] name, int uid, int gid) {
        try { return rc((int) Fchownat.H.invokeExact(st, dirfd, seg(name), uid, gid, AT_SYMLINK_NOFOLLOW)); }
        catch (Throwable t) { throw fail(t); }
    }

    /** Mode of {@code name} (callers only use it on entries they just made that are not symlinks). */
    @Override public int chmod(int dirfd, byte[] name, int mode) {
        try { return rc((int) Fchmodat.H.invokeExact(st, dirfd, seg(name), mode, 0)); } catch (Throwable t) { throw fail(t); }
    }

    @Override public int symlink(byte[] target, int dirfd, byte[] name) {
        try { return rc((int) Symlinkat.H.invokeExact(st, seg(target), dirfd, seg(name))); } catch (Throwable t) { throw fail(t); }
    }

    /** link(2) semantics: a symlink target is linked itself, never followed. */
    @Override public int link(int olddirfd, byte[] oldname, int newdirfd, byte[] newname) {
        try { return rc((int) Linkat.H.invokeExact(st, olddirfd, seg(oldname), newdirfd, seg(newname), 0)); }
        catch (Throwable t) { throw fail(t); }
    }

    @Override public int unlink(int dirfd, byte[] name, int flags) {
        try { return rc((int) Unlinkat.H.invokeExact(st, dirfd, seg(name), flags)); } catch (Throwable t) { throw fail(t); }
    }

    @Override public int mknod(int dirfd, byte[] name, int mode, int major, int minor) {
        long dev = ((long) (major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8) | ((long) (minor & 0xffffff00L) << 12) | (minor & 0xffL);
        try { return rc((int) Mknodat.H.invokeExact(st, dirfd, seg(name), mode, dev)); } catch (Throwable t) { throw fail(t); }
    }

    /** st_mode of {@code name} itself (not followed), or -errno. */
    @Override public int lstatMode(int dirfd, byte[] name) {
        try {
            int r = rc((int) Statx.H.invokeExact(st, dirfd, seg(name), AT_SYMLINK_NOFOLLOW, 0x3 /* STATX_TYPE|STATX_MODE */,
                    MemorySegment.ofArray(statx)));
            if (r < 0) return r;
            return (int) ((statx[3] >>> 32) & 0xffff);   // stx_mode: u16 at offset 28
        } catch (Throwable t) { throw fail(t); }
    }

    /**
     * statx(2) of {@code name} (not followed; {@code name} empty with {@link #AT_EMPTY_PATH}: the
     * descriptor itself) into {@code out} (32 longs, struct statx): 0 or -errno.
     */
    @Override public int statx(int dirfd, byte[] name, int flags, long[] out) {
        try { return rc((int) Statx.H.invokeExact(st, dirfd, seg(name), flags | AT_SYMLINK_NOFOLLOW, 0x7ff /* STATX_BASIC_STATS */,
                MemorySegment.ofArray(out))); }
        catch (Throwable t) { throw fail(t); }
    }

    /** getdents64(2) into {@code buf}: bytes filled (0 at the end) or -errno. */
    @Override public int getdents(int fd, byte[] buf) {
        try { return rc((long) Getdents.H.invokeExact(st, fd, seg(buf), (long) buf.length, 0L)); } catch (Throwable t) { throw fail(t); }
    }

    /** read(2) into {@code b[off, off+len)}: bytes read (0 at the end) or -errno. */
    @Override public int read(int fd, byte[] b, int off, int len) {
        while (true) {
            long n;
            try { n = (long) Read.H.invokeExact(st, fd, seg(b).asSlice(off, len), (long) len, 0L); } catch (Throwable t) { throw fail(t); }
            int r = rc(n);
            if (r != -EINTR) return r;
        }
    }

    /** Writes all of {@code b[off, off+len)} at file offset {@code pos}: 0 or -errno. */
    @Override public int pwriteAll(int fd, byte[] b, int off, int len, long pos) {
        MemorySegment all = seg(b);
        while (len > 0) {
            long n;
            try { n = (long) Pwrite.H.invokeExact(st, fd, all.asSlice(off, len), (long) len, pos); } catch (Throwable t) { throw fail(t); }
            if (n < 0) {
                int e = rc(n);
                if (e == -EINTR) continue;
                return e;
            }
            off += (int) n;
            len -= (int) n;
            pos += n;
        }
        return 0;
    }

    @Override public int ftruncate(int fd, long size) {
        try { return rc((int) Ftruncate.H.invokeExact(st, fd, size)); } catch (Throwable t) { throw fail(t); }
    }

    /** lgetxattr(2) of a (short) NUL-terminated path: the value, null when absent, or throws. */
    @Override public byte[] lgetxattr(byte[] path, String attr) {
        byte[] v = new byte[4096];
        try {
            long n = (long) Lgetxattr.H.invokeExact(st, seg(path), seg(AtCalls.c(attr)), seg(v), (long) v.length);
            if (n < 0) {
                int e = errno(st);
                if (e == ENODATA) return null;
                throw new SyscallException("lgetxattr " + attr, e, new String(path, 0, path.length - 1, StandardCharsets.UTF_8));
            }
            return java.util.Arrays.copyOf(v, (int) n);
        } catch (SyscallException e) { throw e; } catch (Throwable t) { throw fail(t); }
    }

    /** The target of symlink {@code name}, or null. */
    @Override public String readlink(int dirfd, byte[] name) {
        byte[] buf = new byte[4097];
        try {
            long n = (long) Readlinkat.H.invokeExact(st, dirfd, seg(name), seg(buf), (long) buf.length);
            if (n < 0 || n >= buf.length) return null;
            return new String(buf, 0, (int) n, StandardCharsets.UTF_8);
        } catch (Throwable t) { throw fail(t); }
    }

    @Override public int fsetxattr(int fd, String attr, byte[] value) {
        byte[] v = value.length == 0 ? new byte[1] : value;
        try { return rc((int) Fsetxattr.H.invokeExact(st, fd, seg(AtCalls.c(attr)), seg(v), (long) value.length, 0)); }
        catch (Throwable t) { throw fail(t); }
    }

}
