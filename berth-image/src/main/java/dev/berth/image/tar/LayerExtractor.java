package dev.berth.image.tar;

import dev.berth.sys.AtCalls;
import dev.berth.sys.SyscallException;
import dev.berth.sys.Syscalls;
import dev.berth.image.api.Digest;
import dev.berth.image.api.ImageException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveStructSparse;

/**
 * Unpacks one layer (tar, tar+gzip, tar+zstd) into an empty directory, safely:
 * <ul>
 * <li>names with {@code ..}, absolute names, NULs and empty components are rejected;</li>
 * <li>no path is ever resolved through a symlink: every parent component is opened with
 *     {@code O_DIRECTORY|O_NOFOLLOW} relative to its (already verified) parent, and the entry is
 *     made relative to that descriptor; an entry under a symlink the archive created is an error
 *     (CVE-2018-15664 class);</li>
 * <li>symlinks whose relative target climbs out of the root, hardlinks whose target is outside,
 *     missing, a directory or a symlink to an absolute/escaping target are rejected;</li>
 * <li>device nodes and fifos are skipped unless {@code allowDevices} and running as root;</li>
 * <li>whiteouts {@code .wh.NAME} become overlay whiteouts (char 0/0), {@code .wh..wh..opq} sets
 *     {@code trusted.overlay.opaque=y} on its directory; xattrs other than {@code user.*} and
 *     {@code security.capability} (notably {@code trusted.overlay.*}) are never taken from the archive;</li>
 * <li>entry sizes beyond {@code maxEntrySize}, file data beyond {@code maxTotalSize} bytes written
 *     (holes of sparse entries are not written), truncated or corrupt streams fail with an error
 *     naming the entry;</li>
 * <li>sparse entries (old GNU, PAX 0.0, 0.1 and 1.0, as commons-compress reads them) keep their
 *     holes: only the data regions are written, at their offsets, then the file is truncated to
 *     its size;</li>
 * <li>names may be as deep as {@link #MAX_NAME} bytes allow: directories are a tree of nodes,
 *     opened one component at a time from the nearest open ancestor, nothing is resolved by a
 *     path longer than one component and nothing recurses on the Java stack.</li>
 * </ul>
 * Every entry is made with the {@code *at} calls relative to its parent directory's descriptor,
 * opened component by component with {@code O_NOFOLLOW|O_DIRECTORY} from the root (descriptors
 * cached per directory, closed when an entry replaces that directory): no path is resolved
 * through a symlink, and each file costs open, write, futimens, close (fchown/fchmod only when
 * the owner or mode differ from what creation gave).
 * The caller extracts into a private temp directory and deletes it on failure (see SnapshotStore).
 * Returns the diff ID (sha256 of the uncompressed tar stream, read to its end).
 */
public final class LayerExtractor {
    /**
     * {@code maxEntrySize}: the largest (apparent) size of one entry; {@code maxTotalSize}: the
     * most file data one layer may write (holes of sparse files not counted).
     */
    public record Options(boolean allowDevices, long maxEntrySize, long maxTotalSize, boolean sameOwner) {
        /** The default of {@code maxTotalSize}: 64 GiB. */
        public static final long DEFAULT_MAX_LAYER_SIZE = 64L << 30;
        public static final String MAX_LAYER_SIZE_ENV = "BERTH_MAX_LAYER_SIZE";
        public static final Options DEFAULT = new Options(false, 1L << 40, DEFAULT_MAX_LAYER_SIZE, true);

        /** The defaults, with {@code maxTotalSize} from {@code $BERTH_MAX_LAYER_SIZE} when set. */
        public static Options fromEnvironment() {
            String v = System.getenv(MAX_LAYER_SIZE_ENV);
            return v == null || v.isBlank() ? DEFAULT : DEFAULT.withMaxTotalSize(parseSize(MAX_LAYER_SIZE_ENV, v));
        }

        public Options withMaxTotalSize(long max) { return new Options(allowDevices, maxEntrySize, max, sameOwner); }

        /** "123" bytes, or with a suffix k, m, g, t (powers of 1024; an optional "b" or "ib" after it). */
        public static long parseSize(String what, String v) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)\\s*(\\d+)\\s*([kmgt]?)(i?b)?\\s*").matcher(v);
            if (!m.matches()) throw new ImageException.InvalidReference(what + "=" + v + ": not a size (e.g. 64g, 512m, 1000000)");
            int shift = switch (m.group(2).toLowerCase(java.util.Locale.ROOT)) { case "k" -> 10; case "m" -> 20; case "g" -> 30; case "t" -> 40; default -> 0; };
            try {
                long n = Long.parseLong(m.group(1));
                if (n > Long.MAX_VALUE >> shift) throw new NumberFormatException();
                return n << shift;
            } catch (NumberFormatException e) {
                throw new ImageException.InvalidReference(what + "=" + v + ": too large");
            }
        }
    }

    /** Sizes in messages: "64 GiB (68719476736 bytes)". */
    static String size(long n) {
        String[] u = {"KiB", "MiB", "GiB", "TiB"};
        for (int i = u.length; i >= 1; i--) {
            long unit = 1L << (10 * i);
            if (n >= unit) return (n % unit == 0 ? String.valueOf(n / unit) : String.format(java.util.Locale.ROOT, "%.1f", (double) n / unit))
                    + " " + u[i - 1] + " (" + n + " bytes)";
        }
        return n + " bytes";
    }

    /** The longest entry name taken (bytes, after cleaning): 32,768 levels of one-letter directories. */
    public static final int MAX_NAME = 1 << 16;

    public record Result(Digest diffId, long bytes, long entries, List<String> skipped) {}

    private static final String WH = ".wh.";
    private static final String OPAQUE = ".wh..wh..opq";
    /** Directory descriptors kept open (least recently used closed first). */
    private static final int MAX_DIR_FDS = 128;
    /** Of a chain of directories opened at once, the deepest this many stay open (the others are closed on the way). */
    private static final int CHAIN_KEEP = 32;
    /** How a directory is looked up: entries' parents are created; hardlink targets' must exist. */
    private enum Walk { CREATE, EXISTING }

    /**
     * A directory of the layer (made or named by an entry): its name, parent and children, its
     * descriptor while open, its time. Directory paths are never kept as strings (a deep tree
     * would cost its depth squared).
     */
    private static final class Node {
        final Node parent;
        final String name;
        final byte[] cname;
        final int depth;
        java.util.HashMap<String, Node> children;
        int fd = -1;
        boolean timed;
        long mtime;
        Node(Node parent, String name) {
            this.parent = parent; this.name = name; this.cname = AtCalls.c(name); this.depth = parent == null ? 0 : parent.depth + 1;
        }
        Node child(String n) {
            if (children == null) children = new java.util.HashMap<>(4);
            return children.computeIfAbsent(n, k -> new Node(this, k));
        }
        String rel() {
            StringBuilder b = new StringBuilder();
            for (Node x = this; x.parent != null; x = x.parent) b.insert(0, x.parent.parent == null ? x.name : "/" + x.name);
            return b.toString();
        }
    }

    private final Path root;
    private final Options opts;
    private final boolean root0 = Libc.isRoot();
    private final AtCalls at = Syscalls.linux().at();
    private int rootFd = -1;
    /** The root directory of the layer (its descriptor is {@link #rootFd}). */
    private final Node top = new Node(null, "");
    /** Nodes whose (verified, never-symlink) directory is open, least recently used first. */
    private final LinkedHashMap<Node, Node> dirs = new LinkedHashMap<>(64, 0.75f, true);
    private final List<String> skipped = new ArrayList<>();
    private final byte[] buf = new byte[1 << 18];
    private long total;

    private final int umask;   // -1: unknown (then modes are always set)

    private LayerExtractor(Path root, Options opts) {
        this.root = root;
        this.opts = opts;
        this.umask = umask();
    }

    /** This process's umask, from /proc (reading it with umask(2) would race other threads). */
    private static int umask() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("Umask:")) return Integer.parseInt(l.substring(6).trim(), 8) & 0777;
            }
        } catch (IOException | RuntimeException ignored) { /* unknown */ }
        return -1;
    }

    public static Result extract(InputStream layer, Path dest, Options opts) { return extract(layer, dest, opts, null); }

    /**
     * {@code verifiedDigest}: the digest of {@code layer} as verified by the caller (store blobs are;
     * a download is at commit). An uncompressed layer's diff ID is that digest, so it is not hashed
     * a second time.
     */
    public static Result extract(InputStream layer, Path dest, Options opts, Digest verifiedDigest) {
        if (!Files.isDirectory(dest, LinkOption.NOFOLLOW_LINKS))
            throw new ImageException.Store("extraction target is not a directory: " + dest, null);
        LayerExtractor x = new LayerExtractor(dest, opts);
        try {
            return x.run(layer, verifiedDigest);
        } finally {
            x.closeAll();
        }
    }

    private void closeAll() {
        for (Node n : dirs.keySet()) { at.close(n.fd); n.fd = -1; }
        dirs.clear();
        if (rootFd >= 0) at.close(rootFd);
        rootFd = -1;
    }

    private Result run(InputStream layer, Digest verifiedDigest) {
        rootFd = at.open(AtCalls.AT_FDCWD, AtCalls.c(root.toString()), AtCalls.O_RDONLY | AtCalls.O_DIRECTORY, 0);
        if (rootFd < 0) throw new ImageException.Store("cannot open " + root + ": " + Libc.strerror(-rootFd), null);
        MessageDigest sha = Digest.newSha256();
        String current = null;
        long entries = 0;
        InputStream raw = layer.markSupported() ? layer : new BufferedInputStream(layer, 1 << 16);
        Compression c;
        try { c = Compression.detect(raw); }
        catch (IOException e) { throw new ImageException.UnsafeArchive(null, "cannot read layer: " + e.getMessage(), e); }
        InputStream plain = Compression.decompress(raw);
        boolean hash = !(c == Compression.NONE && verifiedDigest != null);
        try (InputStream top = new BufferedInputStream(hash ? new DigestInputStream(plain, sha) : plain, 1 << 16)) {
            TarArchiveInputStream tar = new TarArchiveInputStream(top, 512 * 20);
            TarArchiveEntry e;
            while (true) {
                try {
                    e = tar.getNextEntry();
                } catch (IOException | IllegalArgumentException ex) {
                    throw new ImageException.UnsafeArchive(current == null ? "(first header)" : "after " + current,
                            "corrupt or truncated archive: " + ex.getMessage(), ex);
                }
                if (e == null) break;
                current = e.getName();
                entries++;
                try {
                    entry(tar, e);
                } catch (IOException ex) {
                    throw new ImageException.UnsafeArchive(current, ex.getMessage(), ex);
                }
                trimDirs();
            }
            // The diff ID covers the whole stream, including the end-of-archive blocks.
            try {
                while (top.read(buf) >= 0) { /* drain */ }
            } catch (IOException ex) {
                throw new ImageException.UnsafeArchive("after " + current, "corrupt or truncated stream: " + ex.getMessage(), ex);
            }
            setDirTimes();
        } catch (IOException ex) {
            throw new ImageException.UnsafeArchive(current, "read error: " + ex.getMessage(), ex);
        }
        return new Result(hash ? Digest.sha256(sha.digest()) : verifiedDigest, total, entries, List.copyOf(skipped));
    }

    /** Canonical relative name, or throws. "" is the root itself. */
    public static String clean(String name) {
        if (name.indexOf('\0') >= 0) throw new ImageException.UnsafeArchive(name.replace('\0', '?'), "name contains NUL");
        if (name.startsWith("/")) throw new ImageException.UnsafeArchive(name, "absolute name");
        StringBuilder out = new StringBuilder();
        for (String c : name.split("/")) {
            if (c.isEmpty() || c.equals(".")) continue;
            if (c.equals("..")) throw new ImageException.UnsafeArchive(name, "name contains '..'");
            if (c.length() > 255) throw new ImageException.UnsafeArchive(name, "name component longer than 255 bytes");
            if (!out.isEmpty()) out.append('/');
            out.append(c);
        }
        if (out.length() > MAX_NAME)
            throw new ImageException.UnsafeArchive(name.substring(0, 64) + "...", "name longer than " + MAX_NAME + " bytes");
        return out.toString();
    }

    private static String parentOf(String rel) {
        int i = rel.lastIndexOf('/');
        return i < 0 ? "" : rel.substring(0, i);
    }

    private static String baseOf(String rel) { return rel.substring(rel.lastIndexOf('/') + 1); }

    private void check(int rc, String call, String rel) throws Libc.Errno {
        if (rc < 0) throw new Libc.Errno(-rc, call, rel);
    }

    private static long mtime(TarArchiveEntry e) { return e.getLastModifiedTime() == null ? 0 : e.getLastModifiedTime().toMillis(); }

    private boolean chownWanted(TarArchiveEntry e, boolean fresh) {
        // Entries are created fresh by this (root) process, so owner 0:0 is already right: skip
        // the call (most files in most layers). Directories may pre-exist: always set theirs.
        return opts.sameOwner() && root0 && (!fresh || e.getLongUserId() != 0 || e.getLongGroupId() != 0);
    }

    /** Whether a fresh entry made with {@code mode & 0777} needs a chmod to get {@code mode & 07777}. */
    private boolean chmodWanted(int mode) {
        return umask < 0 || (mode & 07777) != (mode & 0777 & ~umask);
    }

    private void entry(TarArchiveInputStream tar, TarArchiveEntry e) throws IOException {
        String name = e.getName();
        String rel = clean(name);
        long size = e.isSparse() ? e.getRealSize() : e.getSize();
        if (size < 0 || size > opts.maxEntrySize())
            throw new ImageException.UnsafeArchive(name, "absurd size " + size + " (limit " + opts.maxEntrySize() + ")");
        if (rel.isEmpty()) return;   // "./": the root itself
        String base = baseOf(rel);
        String parent = parentOf(rel);
        Node pnode = node(parent);
        int pfd = dirFd(pnode, name, Walk.CREATE);

        if (base.startsWith(WH)) {
            if (base.equals(OPAQUE)) {
                check(at.fsetxattr(pfd, "trusted.overlay.opaque", new byte[]{'y'}), "fsetxattr trusted.overlay.opaque", parent);
            } else if (base.startsWith(WH + WH)) {
                skipped.add(name + " (aufs metadata)");
            } else {
                String victim = base.substring(WH.length());
                if (victim.isEmpty() || victim.equals(".") || victim.equals(".."))
                    throw new ImageException.UnsafeArchive(name, "invalid whiteout");
                String vrel = parent.isEmpty() ? victim : parent + "/" + victim;
                byte[] vname = AtCalls.c(victim);
                removeExisting(pnode, pfd, victim, vrel);
                check(at.mknod(pfd, vname, Libc.S_IFCHR, 0, 0), "mknod", vrel);
            }
            return;
        }

        byte[] cname = AtCalls.c(base);
        int mode = e.getMode() & 07777;
        if (e.isDirectory()) {
            int t = at.lstatMode(pfd, cname);
            if (t >= 0 && (t & AtCalls.S_IFMT) != AtCalls.S_IFDIR) { removeExisting(pnode, pfd, base, rel); t = -AtCalls.ENOENT; }
            if (t < 0 && t != -AtCalls.ENOENT) check(t, "statx", rel);
            if (t < 0) check(at.mkdir(pfd, cname, 0700), "mkdir", rel);
            Node dnode = pnode.child(base);
            lastRel = rel;
            lastNode = dnode;
            int dfd = dirFd(dnode, name, Walk.CREATE);
            if (chownWanted(e, false)) check(at.fchown(dfd, (int) e.getLongUserId(), (int) e.getLongGroupId()), "fchown", rel);
            check(at.fchmod(dfd, mode), "fchmod", rel);
            xattrs(e, dfd, rel);
            dnode.timed = true;
            dnode.mtime = mtime(e);
        } else if (e.isSymbolicLink()) {
            String link = e.getLinkName();
            checkSymlinkTarget(name, rel, link);
            byte[] target = AtCalls.c(link);
            int rc = at.symlink(target, pfd, cname);
            if (rc == -AtCalls.EEXIST) { removeExisting(pnode, pfd, base, rel); rc = at.symlink(target, pfd, cname); }
            check(rc, "symlink", rel);
            if (chownWanted(e, true)) check(at.lchown(pfd, cname, (int) e.getLongUserId(), (int) e.getLongGroupId()), "lchown", rel);
            skipXattrs(e);
            check(at.utimens(pfd, cname, mtime(e)), "utimensat", rel);
        } else if (e.isLink()) {
            String trel;
            try {
                trel = clean(e.getLinkName());
            } catch (ImageException.UnsafeArchive x) {
                throw new ImageException.UnsafeArchive(name, "hardlink target " + x.getMessage().replaceFirst("^entry ", ""));
            }
            if (trel.isEmpty()) throw new ImageException.UnsafeArchive(name, "hardlink to the root directory");
            byte[] tname = AtCalls.c(baseOf(trel));
            int tfd = dirFd(node(parentOf(trel)), name, Walk.EXISTING);
            int ta = at.lstatMode(tfd, tname);
            if (ta == -AtCalls.ENOENT) throw new ImageException.UnsafeArchive(name, "hardlink target " + e.getLinkName() + " does not exist in this layer");
            check(ta, "statx", trel);
            if ((ta & AtCalls.S_IFMT) == AtCalls.S_IFDIR) throw new ImageException.UnsafeArchive(name, "hardlink to a directory " + e.getLinkName());
            if ((ta & AtCalls.S_IFMT) == AtCalls.S_IFLNK) {
                String lt = at.readlink(tfd, tname);
                if (lt == null || lt.startsWith("/") || escapes(parentOf(trel), lt))
                    throw new ImageException.UnsafeArchive(name, "hardlink to symlink " + e.getLinkName() + " pointing out (" + lt + ")");
            }
            if (trel.equals(rel)) return;
            pfd = dirFd(pnode, name, Walk.CREATE);   // (looking up the target may have closed it)
            int rc = at.link(tfd, tname, pfd, cname);   // linkat(2) without AT_SYMLINK_FOLLOW: never follows
            if (rc == -AtCalls.EEXIST) {
                removeExisting(pnode, pfd, base, rel);
                // removing rel may have removed the target's directory: look both up again
                tfd = dirFd(node(parentOf(trel)), name, Walk.EXISTING);
                pnode = node(parent);
                pfd = dirFd(pnode, name, Walk.CREATE);
                rc = at.link(tfd, tname, pfd, cname);
            }
            check(rc, "link", rel);
        } else if (e.isCharacterDevice() || e.isBlockDevice() || e.isFIFO()) {
            if (!opts.allowDevices() || !root0) {
                skipped.add(name + " (device node)");
                return;
            }
            int type = e.isFIFO() ? Libc.S_IFIFO : e.isCharacterDevice() ? Libc.S_IFCHR : Libc.S_IFBLK;
            int rc = at.mknod(pfd, cname, type | (mode & 0777), e.getDevMajor(), e.getDevMinor());
            if (rc == -AtCalls.EEXIST) { removeExisting(pnode, pfd, base, rel); rc = at.mknod(pfd, cname, type | (mode & 0777), e.getDevMajor(), e.getDevMinor()); }
            check(rc, "mknod", rel);
            if (chownWanted(e, true)) check(at.lchown(pfd, cname, (int) e.getLongUserId(), (int) e.getLongGroupId()), "lchown", rel);
            if (chmodWanted(mode)) check(at.chmod(pfd, cname, mode), "chmod", rel);
            pathXattrs(e, Path.of("/proc/self/fd/" + pfd, base));   // a short path, whatever the depth
            check(at.utimens(pfd, cname, mtime(e)), "utimensat", rel);
        } else if (e.isFile()) {
            List<TarArchiveStructSparse> map = e.isSparse() ? sparseMap(e, size) : null;
            long data = size;
            if (map != null) {
                data = 0;
                for (TarArchiveStructSparse s : map) data += s.getNumbytes();
                // the data regions are read from the entry's stored bytes: more than those would
                // read the archive's next entries as this file's content (commons-compress 1.28
                // does not check; fixed upstream by apache/commons-compress#780)
                if (data > e.getSize())
                    throw new ImageException.UnsafeArchive(name, "corrupt sparse map: " + data + " bytes of data regions in an entry of "
                            + e.getSize() + " stored bytes");
            }
            total += data;
            if (total > opts.maxTotalSize())
                throw new ImageException.UnsafeArchive(name, "the layer writes more than " + size(opts.maxTotalSize())
                        + " of file data, the limit (" + Options.MAX_LAYER_SIZE_ENV + ")");
            int flags = AtCalls.O_WRONLY | AtCalls.O_CREAT | AtCalls.O_EXCL | AtCalls.O_NOFOLLOW;
            int fd = at.open(pfd, cname, flags, mode & 0777);
            if (fd == -AtCalls.EEXIST) { removeExisting(pnode, pfd, base, rel); fd = at.open(pfd, cname, flags, mode & 0777); }
            check(fd, "open", rel);
            try {
                if (map == null) copy(tar, fd, name, rel, size, -1);
                else {
                    long pos = 0;
                    for (TarArchiveStructSparse s : map) {
                        skipHole(tar, name, s.getOffset() - pos);
                        copy(tar, fd, name, rel, s.getNumbytes(), s.getOffset());
                        pos = s.getOffset() + s.getNumbytes();
                    }
                    check(at.ftruncate(fd, size), "ftruncate", rel);   // a hole up to the end
                }
                boolean chowned = chownWanted(e, true);
                if (chowned) check(at.fchown(fd, (int) e.getLongUserId(), (int) e.getLongGroupId()), "fchown", rel);
                if (chmodWanted(mode)) check(at.fchmod(fd, mode), "fchmod", rel);   // after chown, which clears set-id bits
                xattrs(e, fd, rel);
                check(at.futimens(fd, mtime(e)), "futimens", rel);
            } finally {
                at.close(fd);
            }
        } else if (e.isGlobalPaxHeader() || e.isPaxHeader()) {
            // handled by commons-compress
        } else {
            throw new ImageException.UnsafeArchive(name, "unsupported entry type '" + (char) e.getLinkFlag() + "'");
        }
    }

    /** {@code len} bytes of the entry's data to {@code fd}: appended ({@code at} &lt; 0) or written at offset {@code at}. */
    private void copy(TarArchiveInputStream tar, int fd, String name, String rel, long len, long at0) throws IOException {
        long left = len, pos = at0;
        while (left > 0) {
            int n;
            try {
                n = tar.read(buf, 0, (int) Math.min(buf.length, left));
            } catch (IOException x) {
                throw new ImageException.UnsafeArchive(name, "truncated or corrupt data: " + x.getMessage(), x);
            }
            if (n < 0) throw new ImageException.UnsafeArchive(name, "truncated: " + left + " of " + len + " bytes missing");
            check(pos < 0 ? at.writeAll(fd, buf, 0, n) : at.pwriteAll(fd, buf, 0, n, pos), "write", rel);
            left -= n;
            if (pos >= 0) pos += n;
        }
    }

    /**
     * The data regions of a sparse entry, in order, checked: none before the end of the last, none
     * past the entry's size. (commons-compress reads the old GNU, PAX 0.0/0.1 and 1.0 forms.)
     */
    private static List<TarArchiveStructSparse> sparseMap(TarArchiveEntry e, long size) {
        List<TarArchiveStructSparse> map;
        try { map = e.getOrderedSparseHeaders(); }
        catch (IOException | RuntimeException x) { throw new ImageException.UnsafeArchive(e.getName(), "corrupt sparse map: " + x.getMessage(), x); }
        long end = 0;
        for (TarArchiveStructSparse s : map) {
            if (s.getOffset() < end || s.getNumbytes() < 0 || s.getOffset() > size || s.getNumbytes() > size - s.getOffset())
                throw new ImageException.UnsafeArchive(e.getName(), "corrupt sparse map: region " + s.getOffset() + "+" + s.getNumbytes()
                        + " overlaps another or ends past the size " + size);
            end = s.getOffset() + s.getNumbytes();
        }
        return map;
    }

    /** Passes over a hole of a sparse entry: commons-compress yields zeros there, skipped without being read. */
    private static void skipHole(TarArchiveInputStream tar, String name, long n) throws IOException {
        while (n > 0) {
            long k;
            try { k = tar.skip(n); }
            catch (IOException x) { throw new ImageException.UnsafeArchive(name, "truncated or corrupt data: " + x.getMessage(), x); }
            if (k <= 0) throw new ImageException.UnsafeArchive(name, "truncated: a hole of the sparse map runs past the data");
            n -= k;
        }
    }

    /** Relative symlink targets may not climb above the root; absolute ones are rooted at run time. */
    private static void checkSymlinkTarget(String name, String rel, String link) {
        if (link == null || link.isEmpty()) throw new ImageException.UnsafeArchive(name, "symlink with empty target");
        if (link.indexOf('\0') >= 0) throw new ImageException.UnsafeArchive(name, "symlink target contains NUL");
        if (!link.startsWith("/") && escapes(parentOf(rel), link))
            throw new ImageException.UnsafeArchive(name, "symlink target " + link + " points out of the root");
    }

    static boolean escapes(String dir, String link) {
        int depth = dir.isEmpty() ? 0 : dir.split("/").length;
        for (String c : link.split("/")) {
            if (c.isEmpty() || c.equals(".")) continue;
            if (c.equals("..")) { if (--depth < 0) return true; }
            else depth++;
        }
        return false;
    }

    /** The last directory {@link #node} looked up (most entries are in the directory of the one before). */
    private String lastRel = "";
    private Node lastNode = top;

    /** The node of directory {@code rel} ("" is the root), made (as a name only) when missing. */
    private Node node(String rel) {
        if (rel.equals(lastRel)) return lastNode;
        Node n = top;
        int start = 0;
        if (!lastRel.isEmpty() && rel.length() > lastRel.length() && rel.charAt(lastRel.length()) == '/' && rel.startsWith(lastRel)) {
            n = lastNode;   // below the last one: only the rest is looked up
            start = lastRel.length() + 1;
        }
        if (rel.isEmpty()) return n;
        for (int i = start, j; i <= rel.length(); i = j + 1) {
            j = rel.indexOf('/', i);
            if (j < 0) j = rel.length();
            n = n.child(rel.substring(i, j));
        }
        lastRel = rel;
        lastNode = n;
        return n;
    }

    /**
     * The descriptor of directory {@code d}, opened component by component from the nearest open
     * ancestor with {@code O_DIRECTORY|O_NOFOLLOW}: a symlink anywhere on the way is an error,
     * never followed. {@link Walk#CREATE} makes missing directories (as implicit parents),
     * {@link Walk#EXISTING} requires them (hardlink targets). Of a long chain only the deepest
     * {@link #CHAIN_KEEP} stay open. The descriptor stays valid until the next {@link #trimDirs}
     * or {@link #forget}.
     */
    private int dirFd(Node d, String entry, Walk how) throws IOException {
        if (d == top) return rootFd;
        if (d.fd >= 0) { dirs.get(d); return d.fd; }
        List<Node> chain = new ArrayList<>();
        Node a = d;
        for (; a != top && a.fd < 0; a = a.parent) chain.add(a);
        if (a != top) dirs.get(a);
        int pfd = a == top ? rootFd : a.fd;
        boolean pfdKept = true;
        try {
            for (int i = chain.size() - 1; i >= 0; i--) {
                Node c = chain.get(i);
                int fd = at.openDir(pfd, c.cname);
                if (fd == -AtCalls.ENOENT && how == Walk.CREATE) {
                    int rc = at.mkdir(pfd, c.cname, 0777);
                    if (rc < 0 && rc != -AtCalls.EEXIST) check(rc, "mkdir", c.rel());
                    if (!c.timed) { c.timed = true; c.mtime = 0; }
                    fd = at.openDir(pfd, c.cname);
                }
                if (fd < 0) {
                    String rel = c.rel();
                    String what = how == Walk.EXISTING ? "hardlink target path component " : "path component ";
                    if (fd == -AtCalls.ENOTDIR) {
                        int t = at.lstatMode(pfd, c.cname);
                        if (t >= 0 && (t & AtCalls.S_IFMT) == AtCalls.S_IFLNK)
                            throw new ImageException.UnsafeArchive(entry, what + rel + " is a symlink (not followed)");
                        throw new ImageException.UnsafeArchive(entry, what + rel + " is not a directory");
                    }
                    if (fd == -AtCalls.ENOENT && how == Walk.EXISTING)
                        throw new ImageException.UnsafeArchive(entry, "hardlink target directory " + rel + " does not exist");
                    check(fd, "open", rel);
                }
                if (!pfdKept) at.close(pfd);
                pfd = fd;
                pfdKept = i < CHAIN_KEEP;
                if (pfdKept) { c.fd = fd; dirs.put(c, c); }
            }
        } catch (IOException | RuntimeException x) {
            if (!pfdKept) at.close(pfd);
            throw x;
        }
        return pfd;
    }

    /** Closes the least recently used directory descriptors beyond the limit (between entries only). */
    private void trimDirs() {
        for (Iterator<Node> it = dirs.keySet().iterator(); dirs.size() > MAX_DIR_FDS && it.hasNext(); ) {
            Node n = it.next();
            at.close(n.fd);
            n.fd = -1;
            it.remove();
        }
    }

    /**
     * Removes what is at {@code parent/base} (a whole tree for a directory, whatever its depth),
     * forgetting the directories at and below it.
     */
    private void removeExisting(Node parent, int pfd, String base, String rel) throws IOException {
        Node gone = parent.children == null ? null : parent.children.get(base);
        if (gone != null) forget(gone);
        byte[] name = AtCalls.c(base);
        int t = at.lstatMode(pfd, name);
        if (t == -AtCalls.ENOENT) return;
        check(t, "statx", rel);
        if ((t & AtCalls.S_IFMT) == AtCalls.S_IFDIR) Dir.deleteIn(at, pfd, name, rel);   // its parents verified just now
        else check(at.unlink(pfd, name, 0), "unlink", rel);
    }

    /** Detaches {@code n} from the tree and closes its descriptor and those of the directories below it. */
    private void forget(Node n) {
        n.parent.children.remove(n.name);
        lastRel = "";
        lastNode = top;
        for (Iterator<Node> it = dirs.keySet().iterator(); it.hasNext(); ) {
            Node c = it.next();
            Node x = c;
            while (x.depth > n.depth) x = x.parent;
            if (x == n) {
                at.close(c.fd);
                c.fd = -1;
                it.remove();
            }
        }
    }

    /**
     * Sets the directories' times, last (making entries in a directory changes its time): depth
     * first over the tree of nodes with an explicit stack, one descriptor open at a time, going
     * back up by {@code ..} (the tree is this extraction's own, nothing else moves in it). A
     * directory a later entry replaced was detached from the tree and is skipped.
     */
    private void setDirTimes() throws IOException {
        if (top.children == null) return;
        java.util.ArrayDeque<Iterator<Node>> stack = new java.util.ArrayDeque<>();
        stack.push(top.children.values().iterator());
        int cur = rootFd;
        byte[] dotdot = AtCalls.c("..");
        try {
            while (!stack.isEmpty()) {
                Iterator<Node> it = stack.peek();
                if (!it.hasNext()) {
                    stack.pop();
                    if (stack.isEmpty()) break;
                    int up = stack.size() == 1 ? rootFd : at.openDir(cur, dotdot);
                    if (up < 0) check(up, "open", "..");
                    at.close(cur);
                    cur = up;
                    continue;
                }
                Node n = it.next();
                boolean below = n.children != null && !n.children.isEmpty();
                if (!below && !n.timed) continue;
                int fd = at.openDir(cur, n.cname);
                if (fd < 0) continue;   // not made (a hardlink target's name that failed) or replaced
                if (n.timed) {
                    int rc = at.futimens(fd, n.mtime);
                    if (rc < 0) { at.close(fd); check(rc, "futimens", n.rel()); }
                }
                if (!below) { at.close(fd); continue; }
                if (cur != rootFd) at.close(cur);
                cur = fd;
                stack.push(n.children.values().iterator());
            }
        } finally {
            if (cur != rootFd) at.close(cur);
        }
    }

    private static boolean wantedXattr(String attr) { return attr.startsWith("user.") || attr.equals("security.capability"); }

    /** xattrs from PAX headers: only user.* and security.capability, set on the open entry. */
    private void xattrs(TarArchiveEntry e, int fd, String rel) {
        Map<String, String> pax = e.getExtraPaxHeaders();
        if (pax.isEmpty()) return;
        for (var x : pax.entrySet()) {
            if (!x.getKey().startsWith("SCHILY.xattr.")) continue;
            String attr = x.getKey().substring("SCHILY.xattr.".length());
            if (!wantedXattr(attr)) { skipped.add(e.getName() + " (xattr " + attr + ")"); continue; }
            int rc = at.fsetxattr(fd, attr, x.getValue().getBytes(StandardCharsets.ISO_8859_1));
            if (rc < 0) skipped.add(e.getName() + " (xattr " + attr + ": " + new Libc.Errno(-rc, "fsetxattr " + attr, rel).getMessage() + ")");
        }
    }

    private void pathXattrs(TarArchiveEntry e, Path p) {
        for (var x : e.getExtraPaxHeaders().entrySet()) {
            if (!x.getKey().startsWith("SCHILY.xattr.")) continue;
            String attr = x.getKey().substring("SCHILY.xattr.".length());
            if (!wantedXattr(attr)) { skipped.add(e.getName() + " (xattr " + attr + ")"); continue; }
            try {
                Libc.lsetxattr(p, attr, x.getValue().getBytes(StandardCharsets.ISO_8859_1));
            } catch (Libc.Errno err) {
                skipped.add(e.getName() + " (xattr " + attr + ": " + err.getMessage() + ")");
            }
        }
    }

    /** Symlinks carry no xattrs here: each one in the archive is reported. */
    private void skipXattrs(TarArchiveEntry e) {
        for (String k : e.getExtraPaxHeaders().keySet())
            if (k.startsWith("SCHILY.xattr.")) skipped.add(e.getName() + " (xattr " + k.substring("SCHILY.xattr.".length()) + ")");
    }
}
