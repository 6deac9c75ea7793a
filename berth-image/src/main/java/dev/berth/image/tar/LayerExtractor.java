package dev.berth.image.tar;

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
 * <li>entry sizes beyond {@code maxEntrySize}, totals beyond {@code maxTotalSize}, truncated or
 *     corrupt streams fail with an error naming the entry.</li>
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
    public record Options(boolean allowDevices, long maxEntrySize, long maxTotalSize, boolean sameOwner) {
        public static final Options DEFAULT = new Options(false, 1L << 40, 1L << 42, true);
    }

    public record Result(Digest diffId, long bytes, long entries, List<String> skipped) {}

    private static final String WH = ".wh.";
    private static final String OPAQUE = ".wh..wh..opq";
    /** Directory descriptors kept open (least recently used closed first). */
    private static final int MAX_DIR_FDS = 128;
    /** How a directory is looked up: entries' parents are created; hardlink targets' must exist. */
    private enum Walk { CREATE, EXISTING, QUIET }

    private final Path root;
    private final Options opts;
    private final boolean root0 = Libc.isRoot();
    private final At at = new At();
    private int rootFd = -1;
    /** rel → open descriptor of that (verified, never-symlink) directory; access order. */
    private final LinkedHashMap<String, Integer> dirs = new LinkedHashMap<>(64, 0.75f, true);
    /** Directory mtimes, set last (entries made in a directory change its mtime). */
    private final LinkedHashMap<String, Long> dirTimes = new LinkedHashMap<>();
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
        for (int fd : dirs.values()) at.close(fd);
        dirs.clear();
        if (rootFd >= 0) at.close(rootFd);
        rootFd = -1;
    }

    private Result run(InputStream layer, Digest verifiedDigest) {
        rootFd = at.open(At.AT_FDCWD, At.c(root.toString()), At.O_RDONLY | At.O_DIRECTORY, 0);
        if (rootFd < 0) throw new ImageException.Store("cannot open " + root + ": " + At.strerror(-rootFd), null);
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
            List<Map.Entry<String, Long>> times = new ArrayList<>(dirTimes.entrySet());
            for (int i = times.size() - 1; i >= 0; i--) {
                int fd = dirFd(times.get(i).getKey(), null, Walk.QUIET);   // gone or replaced by a later entry: skipped
                if (fd >= 0) check(at.futimens(fd, times.get(i).getValue()), "futimens", times.get(i).getKey());
                trimDirs();
            }
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
        if (out.length() > 4095) throw new ImageException.UnsafeArchive(name.substring(0, 64) + "...", "name longer than 4095 bytes");
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
        int pfd = dirFd(parent, name, Walk.CREATE);

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
                byte[] vname = At.c(victim);
                removeExisting(pfd, vname, vrel);
                check(at.mknod(pfd, vname, Libc.S_IFCHR, 0, 0), "mknod", vrel);
            }
            return;
        }

        byte[] cname = At.c(base);
        int mode = e.getMode() & 07777;
        if (e.isDirectory()) {
            int t = at.lstatMode(pfd, cname);
            if (t >= 0 && (t & At.S_IFMT) != At.S_IFDIR) { removeExisting(pfd, cname, rel); t = -At.ENOENT; }
            if (t < 0 && t != -At.ENOENT) check(t, "statx", rel);
            if (t < 0) check(at.mkdir(pfd, cname, 0700), "mkdir", rel);
            int dfd = dirFd(rel, name, Walk.CREATE);
            if (chownWanted(e, false)) check(at.fchown(dfd, (int) e.getLongUserId(), (int) e.getLongGroupId()), "fchown", rel);
            check(at.fchmod(dfd, mode), "fchmod", rel);
            xattrs(e, dfd, rel);
            dirTimes.remove(rel);
            dirTimes.put(rel, mtime(e));
        } else if (e.isSymbolicLink()) {
            String link = e.getLinkName();
            checkSymlinkTarget(name, rel, link);
            byte[] target = At.c(link);
            int rc = at.symlink(target, pfd, cname);
            if (rc == -At.EEXIST) { removeExisting(pfd, cname, rel); rc = at.symlink(target, pfd, cname); }
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
            byte[] tname = At.c(baseOf(trel));
            int tfd = dirFd(parentOf(trel), name, Walk.EXISTING);
            int ta = at.lstatMode(tfd, tname);
            if (ta == -At.ENOENT) throw new ImageException.UnsafeArchive(name, "hardlink target " + e.getLinkName() + " does not exist in this layer");
            check(ta, "statx", trel);
            if ((ta & At.S_IFMT) == At.S_IFDIR) throw new ImageException.UnsafeArchive(name, "hardlink to a directory " + e.getLinkName());
            if ((ta & At.S_IFMT) == At.S_IFLNK) {
                String lt = at.readlink(tfd, tname);
                if (lt == null || lt.startsWith("/") || escapes(parentOf(trel), lt))
                    throw new ImageException.UnsafeArchive(name, "hardlink to symlink " + e.getLinkName() + " pointing out (" + lt + ")");
            }
            if (trel.equals(rel)) return;
            pfd = dirFd(parent, name, Walk.CREATE);   // (looking up the target may have closed it)
            int rc = at.link(tfd, tname, pfd, cname);   // linkat(2) without AT_SYMLINK_FOLLOW: never follows
            if (rc == -At.EEXIST) {
                removeExisting(pfd, cname, rel);
                // removing rel may have removed the target's directory: look both up again
                tfd = dirFd(parentOf(trel), name, Walk.EXISTING);
                pfd = dirFd(parent, name, Walk.CREATE);
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
            if (rc == -At.EEXIST) { removeExisting(pfd, cname, rel); rc = at.mknod(pfd, cname, type | (mode & 0777), e.getDevMajor(), e.getDevMinor()); }
            check(rc, "mknod", rel);
            if (chownWanted(e, true)) check(at.lchown(pfd, cname, (int) e.getLongUserId(), (int) e.getLongGroupId()), "lchown", rel);
            if (chmodWanted(mode)) check(at.chmod(pfd, cname, mode), "chmod", rel);
            pathXattrs(e, root.resolve(rel));
            check(at.utimens(pfd, cname, mtime(e)), "utimensat", rel);
        } else if (e.isFile()) {
            total += size;
            if (total > opts.maxTotalSize())
                throw new ImageException.UnsafeArchive(name, "layer larger than " + opts.maxTotalSize() + " bytes");
            int flags = At.O_WRONLY | At.O_CREAT | At.O_EXCL | At.O_NOFOLLOW;
            int fd = at.open(pfd, cname, flags, mode & 0777);
            if (fd == -At.EEXIST) { removeExisting(pfd, cname, rel); fd = at.open(pfd, cname, flags, mode & 0777); }
            check(fd, "open", rel);
            try {
                long left = size;
                while (left > 0) {
                    int n;
                    try {
                        n = tar.read(buf, 0, (int) Math.min(buf.length, left));
                    } catch (IOException x) {
                        throw new ImageException.UnsafeArchive(name, "truncated or corrupt data: " + x.getMessage(), x);
                    }
                    if (n < 0) throw new ImageException.UnsafeArchive(name, "truncated: " + left + " of " + size + " bytes missing");
                    check(at.writeAll(fd, buf, 0, n), "write", rel);
                    left -= n;
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

    /**
     * The descriptor of directory {@code rel}, opened component by component from the nearest
     * cached ancestor with {@code O_DIRECTORY|O_NOFOLLOW}: a symlink anywhere on the way is an
     * error, never followed. {@link Walk#CREATE} makes missing directories (as implicit parents),
     * {@link Walk#EXISTING} requires them (hardlink targets), {@link Walk#QUIET} returns -1 on any
     * failure. The descriptor stays valid until the next {@link #trimDirs} or {@link #forget}.
     */
    private int dirFd(String rel, String entry, Walk how) throws IOException {
        if (rel.isEmpty()) return rootFd;
        Integer cached = dirs.get(rel);
        if (cached != null) return cached;
        int pfd = dirFd(parentOf(rel), entry, how);
        if (pfd < 0) return -1;
        byte[] name = At.c(baseOf(rel));
        int fd = at.openDir(pfd, name);
        if (fd == -At.ENOENT && how == Walk.CREATE) {
            int rc = at.mkdir(pfd, name, 0777);
            if (rc < 0 && rc != -At.EEXIST) check(rc, "mkdir", rel);
            dirTimes.putIfAbsent(rel, 0L);
            fd = at.openDir(pfd, name);
        }
        if (fd < 0) {
            if (how == Walk.QUIET) return -1;
            String what = how == Walk.EXISTING ? "hardlink target path component " : "path component ";
            if (fd == -At.ENOTDIR) {
                int t = at.lstatMode(pfd, name);
                if (t >= 0 && (t & At.S_IFMT) == At.S_IFLNK)
                    throw new ImageException.UnsafeArchive(entry, what + rel + " is a symlink (not followed)");
                throw new ImageException.UnsafeArchive(entry, what + rel + " is not a directory");
            }
            if (fd == -At.ENOENT && how == Walk.EXISTING)
                throw new ImageException.UnsafeArchive(entry, "hardlink target directory " + rel + " does not exist");
            check(fd, "open", rel);
        }
        dirs.put(rel, fd);
        return fd;
    }

    /** Closes the least recently used directory descriptors beyond the limit (between entries only). */
    private void trimDirs() {
        for (Iterator<Integer> it = dirs.values().iterator(); dirs.size() > MAX_DIR_FDS && it.hasNext(); ) {
            at.close(it.next());
            it.remove();
        }
    }

    /** Removes what is at rel (a whole tree for a directory), forgetting cached dirs at and below it. */
    private void removeExisting(int pfd, byte[] name, String rel) throws IOException {
        forget(rel);
        int t = at.lstatMode(pfd, name);
        if (t == -At.ENOENT) return;
        check(t, "statx", rel);
        if ((t & At.S_IFMT) == At.S_IFDIR) dev.berth.image.store.Store.deleteTree(root.resolve(rel));   // parents verified just now
        else check(at.unlink(pfd, name, 0), "unlink", rel);
    }

    private void forget(String rel) {
        String below = rel + "/";
        for (Iterator<Map.Entry<String, Integer>> it = dirs.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Integer> d = it.next();
            if (d.getKey().equals(rel) || d.getKey().startsWith(below)) {
                at.close(d.getValue());
                it.remove();
            }
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
