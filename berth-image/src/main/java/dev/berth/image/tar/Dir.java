package dev.berth.image.tar;

import dev.berth.sys.AtCalls;
import dev.berth.sys.SyscallException;
import dev.berth.sys.Syscalls;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * An open directory, and the descriptor-relative calls on its entries: trees of any depth the
 * kernel allows are walked and deleted through these without building a path (one longer than
 * PATH_MAX cannot be resolved) and without recursion (bounded by the Java stack). A walk holds one
 * descriptor at a time: it opens a child with {@code O_DIRECTORY|O_NOFOLLOW} and climbs back with
 * {@code ..}, checked against the device and inode it left (a directory moved meanwhile is an
 * error, never a walk elsewhere). Names are raw bytes: a name that is not UTF-8 is still found.
 * One handle belongs to one thread.
 */
public final class Dir implements AutoCloseable {
    private static final ThreadLocal<AtCalls> AT = ThreadLocal.withInitial(() -> Syscalls.linux().at());
    private static final byte[] DOTDOT = AtCalls.c("..");
    private static final byte[] EMPTY = new byte[1];

    private final AtCalls at;
    private int fd;

    private Dir(AtCalls at, int fd) { this.at = at; this.fd = fd; }

    /** What lstat says of an entry (struct statx's basic fields; ids as Java's {@code unix:} attributes give them). */
    public record Stat(int mode, int uid, int gid, long size, long blocks, long ino, long dev, long rdev, int nlink, long mtimeMillis) {
        public int type() { return mode & AtCalls.S_IFMT; }
        public boolean isDir() { return type() == AtCalls.S_IFDIR; }
        public boolean isLink() { return type() == AtCalls.S_IFLNK; }
        public boolean isFile() { return type() == 0100000; }
        /** An overlay whiteout: a character device 0/0. */
        public boolean isWhiteout() { return type() == 0020000 && rdev == 0; }

        static Stat of(long[] x) {
            long devMajor = x[17] & 0xffffffffL, devMinor = x[17] >>> 32, rMajor = x[16] & 0xffffffffL, rMinor = x[16] >>> 32;
            return new Stat((int) ((x[3] >>> 32) & 0xffff), (int) (x[2] >>> 32), (int) x[3], x[5], x[6], x[4],
                    makedev(devMajor, devMinor), makedev(rMajor, rMinor), (int) x[2],
                    x[14] * 1000 + Math.floorDiv(x[15] & 0xffffffffL, 1_000_000L));
        }

        /** glibc's makedev: the st_dev/st_rdev encoding stat(2) and Java's {@code unix:rdev} use. */
        static long makedev(long major, long minor) {
            return ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8) | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
        }
    }

    /** Opens directory {@code p} (a path of berth's own: symlinks in it are followed). */
    public static Dir open(Path p) throws IOException {
        AtCalls at = AT.get();
        int fd = at.open(AtCalls.AT_FDCWD, AtCalls.c(p.toString()), AtCalls.O_RDONLY | AtCalls.O_DIRECTORY, 0);
        if (fd < 0) throw new Libc.Errno(-fd, "open", p.toString());
        return new Dir(at, fd);
    }

    /** The descriptor (valid until {@link #close}). */
    public int fd() { return fd; }

    /** NUL-terminated raw name. */
    public static byte[] name(String s) { return AtCalls.c(s); }

    /** The entry {@code name} (NUL-terminated) as a directory, never through a symlink; null when missing or not a directory. */
    public Dir child(byte[] name) throws IOException {
        int c = at.openDir(fd, name);
        if (c == -AtCalls.ENOENT || c == -AtCalls.ENOTDIR) return null;
        if (c < 0) throw new Libc.Errno(-c, "open", show(name));
        return new Dir(at, c);
    }

    /**
     * This directory's parent ({@code ..}), checked to be the directory with {@code dev}/{@code ino}
     * (an IOException if this directory was moved meanwhile).
     */
    public Dir parentOf(long dev, long ino) throws IOException { return parent(dev, ino); }

    Dir parent(long dev, long ino) throws IOException {
        int p = at.open(fd, DOTDOT, AtCalls.O_RDONLY | AtCalls.O_DIRECTORY | AtCalls.O_NOFOLLOW, 0);
        if (p < 0) throw new Libc.Errno(-p, "open", "..");
        Dir d = new Dir(at, p);
        Stat s = d.stat();
        if (s.dev() != dev || s.ino() != ino) {
            d.close();
            throw new IOException("a directory was moved while the tree was walked");
        }
        return d;
    }

    private final long[] statx = new long[32];

    /** This directory's own stat. */
    public Stat stat() throws IOException {
        int rc = at.statx(fd, EMPTY, AtCalls.AT_EMPTY_PATH, statx);
        if (rc < 0) throw new Libc.Errno(-rc, "fstat", "directory");
        return Stat.of(statx);
    }

    /** lstat of {@code name}, or null when it does not exist. */
    public Stat lstat(byte[] name) throws IOException {
        int rc = at.statx(fd, name, 0, statx);
        if (rc == -AtCalls.ENOENT) return null;
        if (rc < 0) throw new Libc.Errno(-rc, "statx", show(name));
        return Stat.of(statx);
    }

    /** The target of symlink {@code name}, or null. */
    public String readlink(byte[] name) { return at.readlink(fd, name); }

    /** Extended attribute {@code attr} of entry {@code name} itself (not followed), or null. */
    public byte[] lgetxattr(byte[] name, String attr) throws IOException {
        byte[] prefix = ("/proc/self/fd/" + fd + "/").getBytes(StandardCharsets.US_ASCII);
        byte[] path = Arrays.copyOf(prefix, prefix.length + name.length);
        System.arraycopy(name, 0, path, prefix.length, name.length);
        try { return at.lgetxattr(path, attr); }
        catch (SyscallException e) { throw new Libc.Errno(e.errno(), e.syscall(), e.path()); }
    }

    /** Whether directory entry {@code name} has {@code trusted.overlay.opaque=y}. */
    public boolean opaque(byte[] name) throws IOException {
        byte[] o = lgetxattr(name, "trusted.overlay.opaque");
        return o != null && o.length == 1 && o[0] == 'y';
    }

    /** Reads regular file {@code name} (never through a symlink). */
    public InputStream openFile(byte[] name) throws IOException {
        int f = at.open(fd, name, AtCalls.O_RDONLY | AtCalls.O_NOFOLLOW, 0);
        if (f < 0) throw new Libc.Errno(-f, "open", show(name));
        return new InputStream() {
            private int file = f;
            @Override public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }
            @Override public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) return 0;
                int n = at.read(file, b, off, len);
                if (n < 0) throw new Libc.Errno(-n, "read", show(name));
                return n == 0 ? -1 : n;
            }
            @Override public void close() { if (file >= 0) at.close(file); file = -1; }
        };
    }

    /** The names in this directory (no {@code .} and {@code ..}), NUL-terminated, in directory order. */
    public List<byte[]> names() throws IOException { return names(null); }

    private static final int DT_DIR = 4;

    /** As {@link #names()}; names whose d_type says directory also go to {@code dirs} when given. */
    private List<byte[]> names(List<byte[]> dirs) throws IOException {
        List<byte[]> out = new ArrayList<>();
        byte[] buf = new byte[32768];
        while (true) {
            int n = at.getdents(fd, buf);
            if (n < 0) throw new Libc.Errno(-n, "getdents64", "directory");
            if (n == 0) return out;
            for (int off = 0; off < n; ) {
                int reclen = (buf[off + 16] & 0xff) | (buf[off + 17] & 0xff) << 8;
                int type = buf[off + 18];
                int start = off + 19, end = start;
                while (buf[end] != 0) end++;
                boolean dot = (end - start == 1 && buf[start] == '.') || (end - start == 2 && buf[start] == '.' && buf[start + 1] == '.');
                if (!dot) {
                    byte[] name = Arrays.copyOfRange(buf, start, end + 1);   // with the NUL
                    if (dirs != null && type == DT_DIR) dirs.add(name); else out.add(name);
                }
                off += reclen;
            }
        }
    }

    @Override public void close() {
        if (fd >= 0) at.close(fd);
        fd = -1;
    }

    /** A raw name (NUL-terminated) as a string. */
    public static String show(byte[] name) { return new String(name, 0, Math.max(0, name.length - 1), StandardCharsets.UTF_8); }

    // ---- deleting ------------------------------------------------------------------------

    /** Deletes {@code p} and, for a directory, everything below it, whatever its depth; never follows a symlink. */
    public static void deleteTree(Path p) throws IOException {
        Path parent = p.toAbsolutePath().getParent();
        if (parent == null) throw new IOException("refusing to delete /");
        try (Dir d = open(parent)) { d.delete(name(p.getFileName().toString()), p.toString()); }
        catch (Libc.Errno e) {
            if (e.errno == AtCalls.ENOENT) return;   // the parent is gone: so is p
            throw e;
        }
    }

    /** Deletes the entries of directory {@code p}, keeping {@code p}. */
    public static void deleteChildren(Path p) throws IOException {
        try (Dir d = open(p)) {
            for (byte[] n : d.names()) d.delete(n, p + "/" + show(n));
        }
    }

    /** As {@link #deleteEntry}, in directory descriptor {@code dirfd} (not closed). */
    static void deleteIn(AtCalls at, int dirfd, byte[] name, String shown) throws IOException { new Dir(at, dirfd).delete(name, shown); }

    /** Deletes entry {@code name} (NUL-terminated) of this directory: a file, or a directory tree of any depth. */
    public void deleteEntry(byte[] name) throws IOException { delete(name, show(name)); }

    private static final class Pending {
        final byte[] name;
        final long dev, ino;
        ArrayDeque<byte[]> dirs;   // subdirectories not yet deleted (null: not listed yet)
        Pending(byte[] name, long dev, long ino) { this.name = name; this.dev = dev; this.ino = ino; }
    }

    /**
     * Depth first with an explicit stack, one descriptor open at a time: files are unlinked as
     * a directory is listed, subdirectories entered one by one, a directory removed once its
     * entries are. A directory on another device (a mount point) is not entered: removing it fails.
     */
    private void delete(byte[] name, String shown) throws IOException {
        int rc = at.unlink(fd, name, 0);
        if (rc == 0 || rc == -AtCalls.ENOENT) return;
        if (rc != -AtCalls.EISDIR) throw new Libc.Errno(-rc, "unlink", shown);
        Dir top = child(name);
        if (top == null) { delete(name, shown); return; }   // replaced by a file meanwhile
        ArrayDeque<Pending> stack = new ArrayDeque<>();
        Dir cur = top;
        try {
            Stat ts = top.stat();
            long dev = ts.dev();
            stack.push(new Pending(name, ts.dev(), ts.ino()));
            while (!stack.isEmpty()) {
                Pending f = stack.peek();
                if (f.dirs == null) {
                    List<byte[]> dirs = new ArrayList<>();
                    for (byte[] n : cur.names(dirs)) {
                        int r = at.unlink(cur.fd, n, 0);
                        if (r == -AtCalls.EISDIR) dirs.add(n);
                        else if (r < 0 && r != -AtCalls.ENOENT) throw new Libc.Errno(-r, "unlink", where(shown, stack, n));
                    }
                    f.dirs = new ArrayDeque<>(dirs);
                }
                byte[] n = f.dirs.poll();
                if (n != null) {
                    Dir c = cur.child(n);
                    if (c == null) {   // not a directory after all (d_type) or gone
                        int r = at.unlink(cur.fd, n, 0);
                        if (r < 0 && r != -AtCalls.ENOENT) throw new Libc.Errno(-r, "unlink", where(shown, stack, n));
                        continue;
                    }
                    Stat cs = c.stat();
                    if (cs.dev() != dev) {   // a mount point: rmdir says EBUSY, nothing below is touched
                        c.close();
                        int r = at.unlink(cur.fd, n, AtCalls.AT_REMOVEDIR);
                        if (r < 0) throw new Libc.Errno(-r, "rmdir (a mount point)", where(shown, stack, n));
                        continue;
                    }
                    stack.push(new Pending(n, cs.dev(), cs.ino()));
                    cur.close();
                    cur = c;
                    continue;
                }
                stack.pop();
                Pending up = stack.peek();
                Dir parent = up == null ? this : cur.parent(up.dev, up.ino);
                cur.close();
                cur = up == null ? null : parent;
                int r = at.unlink(parent.fd, f.name, AtCalls.AT_REMOVEDIR);
                if (r == -AtCalls.ENOTEMPTY && up != null) up.dirs.add(f.name);   // entries made meanwhile: again
                else if (r == -AtCalls.ENOTEMPTY) { delete(name, shown); return; }
                else if (r < 0 && r != -AtCalls.ENOENT) throw new Libc.Errno(-r, "rmdir", where(shown, stack, f.name));
            }
        } finally {
            if (cur != null) cur.close();
        }
    }

    /** A readable name for errors: the start of the tree, how deep, and the entry. */
    private static String where(String shown, ArrayDeque<Pending> stack, byte[] n) {
        StringBuilder b = new StringBuilder(shown);
        List<Pending> down = new ArrayList<>(stack);
        java.util.Collections.reverse(down);
        if (down.size() <= 9) for (int i = 1; i < down.size(); i++) b.append('/').append(show(down.get(i).name));
        else {
            for (int i = 1; i < 4; i++) b.append('/').append(show(down.get(i).name));
            b.append("/...(").append(down.size() - 7).append(" more)...");
            for (int i = down.size() - 3; i < down.size(); i++) b.append('/').append(show(down.get(i).name));
        }
        return b.append('/').append(show(n)).toString();
    }

    // ---- walking -------------------------------------------------------------------------

    /** One entry of a {@link #walk}: valid during the call it is given to. */
    public static final class Entry {
        private final Dir dir;
        private final byte[] raw;
        private final String name;
        private final Stat stat;
        private final StringBuilder path;
        private final int pathLen;

        private Entry(Dir dir, byte[] raw, String name, Stat stat, StringBuilder path) {
            this.dir = dir; this.raw = raw; this.name = name; this.stat = stat; this.path = path; this.pathLen = path.length();
        }
        /** The directory holding this entry (open during {@link Visitor#visit} only). */
        public Dir dir() { return dir; }
        /** The raw name, NUL-terminated, for the calls of {@link #dir()}. */
        public byte[] raw() { return raw; }
        public String name() { return name; }
        public Stat stat() { return stat; }
        /** The path from the walk's root, "a/b/c" (built on each call: O(depth)). */
        public String path() { return path.substring(0, pathLen); }
    }

    /** What a {@link #walk} calls. */
    public interface Visitor {
        /** Each entry, in name order, a directory before its entries; true to walk into a directory. */
        boolean visit(Entry e) throws IOException;
        /** After the entries of a directory walked into. */
        default void leave(Entry dir) throws IOException {}
    }

    private record Named(String name, byte[] raw) {}

    private static final class Level {
        final Entry entry;   // null for the root
        final Named[] names;
        final long dev, ino;
        final int pathLen;
        int next;
        Level(Entry entry, Named[] names, long dev, long ino, int pathLen) {
            this.entry = entry; this.names = names; this.dev = dev; this.ino = ino; this.pathLen = pathLen;
        }
    }

    private Named[] sorted() throws IOException {
        List<byte[]> raw = names();
        Named[] out = new Named[raw.size()];
        for (int i = 0; i < out.length; i++) out[i] = new Named(show(raw.get(i)), raw.get(i));
        Arrays.sort(out, Comparator.comparing(Named::name));
        return out;
    }

    /**
     * Walks the tree under {@code root} (not the root itself) depth first, entries of each
     * directory sorted by name (as Java compares the UTF-8 decoded strings), with an explicit
     * stack and one directory descriptor open at a time beside the root's.
     */
    public static void walk(Path root, Visitor v) throws IOException {
        try (Dir r = open(root)) { r.walk(v); }
    }

    /** As {@link #walk(Path, Visitor)}, from this directory. */
    public void walk(Visitor v) throws IOException {
        StringBuilder path = new StringBuilder();
        ArrayDeque<Level> stack = new ArrayDeque<>();
        Stat rs = stat();
        stack.push(new Level(null, sorted(), rs.dev(), rs.ino(), 0));
        Dir cur = this;
        try {
            while (!stack.isEmpty()) {
                Level l = stack.peek();
                if (l.next < l.names.length) {
                    Named n = l.names[l.next++];
                    Stat s = cur.lstat(n.raw());
                    if (s == null) continue;   // gone meanwhile
                    path.setLength(l.pathLen);
                    if (l.pathLen > 0) path.append('/');
                    path.append(n.name());
                    Entry e = new Entry(cur, n.raw(), n.name(), s, path);
                    if (!v.visit(e) || !s.isDir()) continue;
                    Dir c = cur.child(n.raw());
                    if (c == null) { v.leave(e); continue; }   // replaced meanwhile: nothing below
                    Stat cs;
                    Named[] names;
                    try { cs = c.stat(); names = c.sorted(); }
                    catch (IOException | RuntimeException x) { c.close(); throw x; }
                    path.setLength(e.pathLen);
                    stack.push(new Level(e, names, cs.dev(), cs.ino(), e.pathLen));
                    if (cur != this) cur.close();
                    cur = c;
                    continue;
                }
                stack.pop();
                if (l.entry == null) break;
                path.setLength(l.pathLen);
                Level up = stack.peek();
                Dir parent = stack.size() == 1 ? this : cur.parent(up.dev, up.ino);
                cur.close();
                cur = parent;
                v.leave(l.entry);
            }
        } finally {
            if (cur != this) cur.close();
        }
    }
}
