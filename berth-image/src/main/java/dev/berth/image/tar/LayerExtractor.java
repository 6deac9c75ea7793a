package dev.berth.image.tar;

import dev.berth.image.api.Digest;
import dev.berth.image.api.ImageException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Unpacks one layer (tar, tar+gzip, tar+zstd) into an empty directory, safely:
 * <ul>
 * <li>names with {@code ..}, absolute names, NULs and empty components are rejected;</li>
 * <li>no path is ever resolved through a symlink: every parent component is checked with
 *     {@code NOFOLLOW_LINKS} to be a real directory created by this extraction (cached);
 *     an entry under a symlink the archive created is an error (CVE-2018-15664 class);</li>
 * <li>symlinks whose relative target climbs out of the root, hardlinks whose target is outside,
 *     missing, a directory or a symlink to an absolute/escaping target are rejected;</li>
 * <li>device nodes and fifos are skipped unless {@code allowDevices} and running as root;</li>
 * <li>whiteouts {@code .wh.NAME} become overlay whiteouts (char 0/0), {@code .wh..wh..opq} sets
 *     {@code trusted.overlay.opaque=y} on its directory; xattrs other than {@code user.*} and
 *     {@code security.capability} (notably {@code trusted.overlay.*}) are never taken from the archive;</li>
 * <li>entry sizes beyond {@code maxEntrySize}, totals beyond {@code maxTotalSize}, truncated or
 *     corrupt streams fail with an error naming the entry.</li>
 * </ul>
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

    private final Path root;
    private final Options opts;
    private final boolean root0 = Libc.isRoot();
    private final TreeSet<String> safeDirs = new TreeSet<>();
    private final List<String[]> dirTimes = new ArrayList<>();
    private final List<String> skipped = new ArrayList<>();
    private final byte[] buf = new byte[1 << 17];
    private long total;

    private final int fileMode;   // what open(2)/mkdir(2) give under this process's umask

    private LayerExtractor(Path root, Options opts) {
        this.root = root;
        this.opts = opts;
        int umask = 022;
        try {
            Path probe = Files.createTempFile(root, ".umask", "");
            umask = 0666 & ~((Integer) Files.getAttribute(probe, "unix:mode", LinkOption.NOFOLLOW_LINKS)) & 0777;
            Files.delete(probe);
        } catch (IOException ignored) { /* keep 022: chmod is then only skipped when right anyway */ }
        this.fileMode = 0666 & ~umask;
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
        return new LayerExtractor(dest, opts).run(layer, verifiedDigest);
    }

    private Result run(InputStream layer, Digest verifiedDigest) {
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
            }
            // The diff ID covers the whole stream, including the end-of-archive blocks.
            try {
                while (top.read(buf) >= 0) { /* drain */ }
            } catch (IOException ex) {
                throw new ImageException.UnsafeArchive("after " + current, "corrupt or truncated stream: " + ex.getMessage(), ex);
            }
            for (int i = dirTimes.size() - 1; i >= 0; i--) {
                String[] d = dirTimes.get(i);
                try {
                    setTimes(root.resolve(d[0]), Long.parseLong(d[1]));
                } catch (java.nio.file.FileSystemException gone) {
                    // replaced or whited out by a later entry
                }
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

    private void entry(TarArchiveInputStream tar, TarArchiveEntry e) throws IOException {
        String name = e.getName();
        String rel = clean(name);
        long size = e.isSparse() ? e.getRealSize() : e.getSize();
        if (size < 0 || size > opts.maxEntrySize())
            throw new ImageException.UnsafeArchive(name, "absurd size " + size + " (limit " + opts.maxEntrySize() + ")");
        if (rel.isEmpty()) return;   // "./": the root itself
        String base = rel.substring(rel.lastIndexOf('/') + 1);
        String parent = parentOf(rel);

        if (base.startsWith(WH)) {
            ensureDir(parent, name);
            if (base.equals(OPAQUE)) {
                Libc.lsetxattr(dir(parent), "trusted.overlay.opaque", new byte[]{'y'});
            } else if (base.startsWith(WH + WH)) {
                skipped.add(name + " (aufs metadata)");
            } else {
                String victim = base.substring(WH.length());
                if (victim.isEmpty() || victim.equals(".") || victim.equals(".."))
                    throw new ImageException.UnsafeArchive(name, "invalid whiteout");
                String vrel = parent.isEmpty() ? victim : parent + "/" + victim;
                removeExisting(vrel);
                Libc.mknod(root.resolve(vrel), Libc.S_IFCHR, 0, 0);
            }
            return;
        }

        ensureDir(parent, name);
        Path target = root.resolve(rel);
        if (e.isDirectory()) {
            BasicFileAttributes a = lstat(target);
            if (a != null && !a.isDirectory()) { removeExisting(rel); a = null; }
            if (a == null) Files.createDirectory(target);
            safeDirs.add(rel);
            meta(target, e, false);
            dirTimes.add(new String[]{rel, Long.toString(e.getLastModifiedTime() == null ? 0 : e.getLastModifiedTime().toMillis())});
        } else if (e.isSymbolicLink()) {
            String link = e.getLinkName();
            checkSymlinkTarget(name, rel, link);
            replace(rel);
            Files.createSymbolicLink(target, Path.of(link));
            meta(target, e, true);
        } else if (e.isLink()) {
            String trel;
            try {
                trel = clean(e.getLinkName());
            } catch (ImageException.UnsafeArchive x) {
                throw new ImageException.UnsafeArchive(name, "hardlink target " + x.getMessage().replaceFirst("^entry ", ""));
            }
            if (trel.isEmpty()) throw new ImageException.UnsafeArchive(name, "hardlink to the root directory");
            ensureDirNoCreate(parentOf(trel), name);
            Path tpath = root.resolve(trel);
            BasicFileAttributes ta = lstat(tpath);
            if (ta == null) throw new ImageException.UnsafeArchive(name, "hardlink target " + e.getLinkName() + " does not exist in this layer");
            if (ta.isDirectory()) throw new ImageException.UnsafeArchive(name, "hardlink to a directory " + e.getLinkName());
            if (ta.isSymbolicLink()) {
                String lt = Files.readSymbolicLink(tpath).toString();
                if (lt.startsWith("/") || escapes(parentOf(trel), lt))
                    throw new ImageException.UnsafeArchive(name, "hardlink to symlink " + e.getLinkName() + " pointing out (" + lt + ")");
            }
            if (trel.equals(rel)) return;
            replace(rel);
            Files.createLink(target, tpath);   // link(2): never follows the target symlink
        } else if (e.isCharacterDevice() || e.isBlockDevice() || e.isFIFO()) {
            if (!opts.allowDevices() || !root0) {
                skipped.add(name + " (device node)");
                return;
            }
            replace(rel);
            int type = e.isFIFO() ? Libc.S_IFIFO : e.isCharacterDevice() ? Libc.S_IFCHR : Libc.S_IFBLK;
            Libc.mknod(target, type | (e.getMode() & 07777), e.getDevMajor(), e.getDevMinor());
            meta(target, e, false);
        } else if (e.isFile()) {
            total += size;
            if (total > opts.maxTotalSize())
                throw new ImageException.UnsafeArchive(name, "layer larger than " + opts.maxTotalSize() + " bytes");
            OutputStream created;
            try {
                created = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            } catch (FileAlreadyExistsException x) {
                replace(rel);
                created = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            }
            long left = size;
            try (OutputStream out = created) {
                while (left > 0) {
                    int n = tar.read(buf, 0, (int) Math.min(buf.length, left));
                    if (n < 0) throw new ImageException.UnsafeArchive(name, "truncated: " + left + " of " + size + " bytes missing");
                    out.write(buf, 0, n);
                    left -= n;
                }
            } catch (IOException x) {
                throw new ImageException.UnsafeArchive(name, "truncated or corrupt data: " + x.getMessage(), x);
            }
            meta(target, e, false);
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

    private Path dir(String rel) { return rel.isEmpty() ? root : root.resolve(rel); }

    private static BasicFileAttributes lstat(Path p) throws IOException {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** Makes sure every component of {@code rel} is a real directory (never a symlink), creating missing ones. */
    private void ensureDir(String rel, String entry) throws IOException {
        if (rel.isEmpty() || safeDirs.contains(rel)) return;
        ensureDir(parentOf(rel), entry);
        Path p = root.resolve(rel);
        BasicFileAttributes a = lstat(p);
        if (a == null) {
            Files.createDirectory(p);
            dirTimes.add(new String[]{rel, "0"});
        } else if (a.isSymbolicLink()) {
            throw new ImageException.UnsafeArchive(entry, "path component " + rel + " is a symlink (not followed)");
        } else if (!a.isDirectory()) {
            throw new ImageException.UnsafeArchive(entry, "path component " + rel + " is not a directory");
        }
        safeDirs.add(rel);
    }

    /** Like ensureDir but the directories must exist (hardlink targets). */
    private void ensureDirNoCreate(String rel, String entry) throws IOException {
        if (rel.isEmpty() || safeDirs.contains(rel)) return;
        ensureDirNoCreate(parentOf(rel), entry);
        BasicFileAttributes a = lstat(root.resolve(rel));
        if (a == null) throw new ImageException.UnsafeArchive(entry, "hardlink target directory " + rel + " does not exist");
        if (a.isSymbolicLink()) throw new ImageException.UnsafeArchive(entry, "hardlink target path component " + rel + " is a symlink (not followed)");
        if (!a.isDirectory()) throw new ImageException.UnsafeArchive(entry, "hardlink target path component " + rel + " is not a directory");
        safeDirs.add(rel);
    }

    /** Removes what is at rel (a whole tree for a directory), forgetting cached dirs below it. */
    private void removeExisting(String rel) throws IOException {
        forget(rel);
        Path p = root.resolve(rel);
        BasicFileAttributes a = lstat(p);
        if (a == null) return;
        if (a.isDirectory()) dev.berth.image.store.Store.deleteTree(p);
        else Files.delete(p);
    }

    private void replace(String rel) throws IOException { removeExisting(rel); }

    private void forget(String rel) {
        safeDirs.remove(rel);
        safeDirs.subSet(rel + "/", rel + "/\uffff").clear();
    }

    private void meta(Path p, TarArchiveEntry e, boolean symlink) throws IOException {
        // Entries are created fresh by this (root) process, so owner 0:0 and the umask default
        // mode are already right: skip those syscalls (most files in most layers).
        // Directories may pre-exist (earlier entry, implicit parent): always set theirs.
        boolean fresh = !e.isDirectory();
        if (opts.sameOwner() && root0 && (!fresh || e.getLongUserId() != 0 || e.getLongGroupId() != 0))
            Libc.lchown(p, (int) e.getLongUserId(), (int) e.getLongGroupId());
        int mode = e.getMode() & 07777;
        if (!symlink && (!fresh || mode != fileMode)) Libc.chmod(p, mode);
        Map<String, String> pax = e.getExtraPaxHeaders();
        if (!pax.isEmpty()) {
            for (var x : pax.entrySet()) {
                String k = x.getKey();
                if (!k.startsWith("SCHILY.xattr.")) continue;
                String attr = k.substring("SCHILY.xattr.".length());
                if (!symlink && (attr.startsWith("user.") || attr.equals("security.capability"))) {
                    try {
                        Libc.lsetxattr(p, attr, x.getValue().getBytes(StandardCharsets.ISO_8859_1));
                    } catch (Libc.Errno err) {
                        skipped.add(e.getName() + " (xattr " + attr + ": " + err.getMessage() + ")");
                    }
                } else {
                    skipped.add(e.getName() + " (xattr " + attr + ")");
                }
            }
        }
        if (!e.isDirectory()) setTimes(p, e.getLastModifiedTime() == null ? 0 : e.getLastModifiedTime().toMillis());
    }

    private static void setTimes(Path p, long millis) throws IOException {
        FileTime t = FileTime.fromMillis(millis);
        Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setTimes(t, t, null);
    }
}
