package dev.berth.sys;

import java.nio.charset.StandardCharsets;

/**
 * The {@code *at} system calls of tree walks (the image extractor, snapshot diffs): everything
 * relative to an open directory and one name component, so that no path is resolved twice and
 * none through a symlink. Names are NUL-terminated byte arrays ({@link #c}); calls return the
 * result or {@code -errno} (the walkers branch on ENOENT, EEXIST, ... without exceptions). One
 * instance per thread: {@link Syscalls#at()}.
 */
public interface AtCalls {
    int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200, AT_EMPTY_PATH = 0x1000;
    int O_RDONLY = 0, O_WRONLY = 01, O_CREAT = 0100, O_EXCL = 0200, O_DIRECTORY = 0200000,
            O_NOFOLLOW = 0400000, O_CLOEXEC = 02000000;
    int ENOENT = 2, EINTR = 4, EEXIST = 17, ENOTDIR = 20, EISDIR = 21, ENOTEMPTY = 39, ENODATA = 61;
    int S_IFMT = 0170000, S_IFDIR = 0040000, S_IFLNK = 0120000;

    /** A NUL-terminated name. */
    static byte[] c(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        byte[] z = new byte[b.length + 1];
        System.arraycopy(b, 0, z, 0, b.length);
        return z;
    }

    /** openat(2), always close-on-exec, retried on EINTR: the descriptor or -errno. */
    int open(int dirfd, byte[] name, int flags, int mode);

    /** A directory, never through a symlink (ENOTDIR if {@code name} is one). */
    default int openDir(int dirfd, byte[] name) { return open(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0); }

    int mkdir(int dirfd, byte[] name, int mode);

    /** Writes all of {@code b[off, off+len)}: 0 or -errno. */
    int writeAll(int fd, byte[] b, int off, int len);

    int close(int fd);

    int fchown(int fd, int uid, int gid);

    int fchmod(int fd, int mode);

    /** atime and mtime of an open file. */
    int futimens(int fd, long millis);

    /** atime and mtime of {@code name} itself (a symlink is not followed). */
    int utimens(int dirfd, byte[] name, long millis);

    /** Owner of {@code name} itself (a symlink is not followed). */
    int lchown(int dirfd, byte[] name, int uid, int gid);

    /** Mode of {@code name} (callers only use it on entries they just made that are not symlinks). */
    int chmod(int dirfd, byte[] name, int mode);

    int symlink(byte[] target, int dirfd, byte[] name);

    /** link(2) semantics: a symlink target is linked itself, never followed. */
    int link(int olddirfd, byte[] oldname, int newdirfd, byte[] newname);

    int unlink(int dirfd, byte[] name, int flags);

    int mknod(int dirfd, byte[] name, int mode, int major, int minor);

    /** st_mode of {@code name} itself (not followed), or -errno. */
    int lstatMode(int dirfd, byte[] name);

    /**
     * statx(2) of {@code name} (not followed; {@code name} empty with {@link #AT_EMPTY_PATH}: the
     * descriptor itself) into {@code out} (32 longs, struct statx): 0 or -errno.
     */
    int statx(int dirfd, byte[] name, int flags, long[] out);

    /** getdents64(2) into {@code buf}: bytes filled (0 at the end) or -errno. */
    int getdents(int fd, byte[] buf);

    /** read(2) into {@code b[off, off+len)}: bytes read (0 at the end) or -errno. */
    int read(int fd, byte[] b, int off, int len);

    /** Writes all of {@code b[off, off+len)} at file offset {@code pos}: 0 or -errno. */
    int pwriteAll(int fd, byte[] b, int off, int len, long pos);

    int ftruncate(int fd, long size);

    /** lgetxattr(2) of a (short) NUL-terminated path: the value, null when absent; a {@link SyscallException} otherwise. */
    byte[] lgetxattr(byte[] path, String attr);

    /** The target of symlink {@code name}, or null. */
    String readlink(int dirfd, byte[] name);

    int fsetxattr(int fd, String attr, byte[] value);
}
