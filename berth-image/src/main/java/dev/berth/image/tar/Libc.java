package dev.berth.image.tar;

import dev.berth.sys.SyscallException;
import dev.berth.sys.Syscalls;
import java.nio.file.Path;

/**
 * The path-based calls the image subsystem needs that java.nio lacks (mknod for whiteouts and
 * devices, chmod with setuid bits, lchown, xattrs, mount for overlayfs), made through berth-sys's
 * {@link Syscalls} (the real kernel unless a caller passes another), with failures as the checked
 * {@link Errno} the image code handles. No native binding here: berth-sys is the one FFM module.
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
    public static final int MNT_DETACH = dev.berth.sys.Linux.MNT_DETACH;

    private static Syscalls sys() { return Syscalls.linux(); }

    private static Errno errno(SyscallException e, String call, Object path) {
        return new Errno(e.errno(), call, String.valueOf(path));
    }

    public static String strerror(int errno) { return dev.berth.sys.Errno.description(errno); }

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
        return sys().geteuid();
    }

    public static void mknod(Path p, int mode, int major, int minor) throws Errno {
        try { sys().mknod(p.toString(), mode, Syscalls.makedev(major, minor)); }
        catch (SyscallException e) { throw errno(e, "mknod", p); }
    }

    public static void chmod(Path p, int mode) throws Errno {
        try { sys().chmod(p.toString(), mode); }
        catch (SyscallException e) { throw errno(e, "chmod", p); }
    }

    public static void lchown(Path p, int uid, int gid) throws Errno {
        lchown(sys(), p, uid, gid);
    }

    /** lchown(2) through {@code sys}. */
    public static void lchown(Syscalls sys, Path p, int uid, int gid) throws Errno {
        try { sys.lchown(p.toString(), uid, gid); }
        catch (SyscallException e) { throw errno(e, "lchown", p); }
    }

    public static void lsetxattr(Path p, String name, byte[] value) throws Errno {
        try { sys().lsetxattr(p.toString(), name, value); }
        catch (SyscallException e) { throw errno(e, "lsetxattr " + name, p); }
    }

    /** The xattr value, or null when absent. */
    public static byte[] lgetxattr(Path p, String name) throws Errno {
        try { return sys().lgetxattr(p.toString(), name); }
        catch (SyscallException e) { throw errno(e, "lgetxattr " + name, p); }
    }

    public static void mount(String source, Path target, String fstype, long flags, String data) throws Errno {
        mount(sys(), source, target, fstype, flags, data);
    }

    /** mount(2) through {@code sys}. */
    public static void mount(Syscalls sys, String source, Path target, String fstype, long flags, String data) throws Errno {
        try { sys.mount(source, target.toString(), fstype, flags, data); }
        catch (SyscallException e) { throw errno(e, "mount " + fstype, target); }
    }

    public static void umount2(Path target, int flags) throws Errno {
        umount2(sys(), target, flags);
    }

    /** umount2(2) through {@code sys}. */
    public static void umount2(Syscalls sys, Path target, int flags) throws Errno {
        try { sys.umount2(target.toString(), flags); }
        catch (SyscallException e) { throw errno(e, "umount2", target); }
    }
}
