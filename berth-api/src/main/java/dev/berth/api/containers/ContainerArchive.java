package dev.berth.api.containers;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.api.http.ApiException;
import dev.berth.api.http.Json;
import dev.berth.api.http.Responses;
import dev.berth.image.api.ImageException;
import dev.berth.image.tar.Dir;
import dev.berth.image.tar.LayerExtractor;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * {@code docker cp} inside a container's root file system, every path resolved as if chrooted
 * there: component by component from a descriptor of the root, each directory opened with {@code
 * O_DIRECTORY|O_NOFOLLOW} relative to its parent, symlinks read and their targets resolved again
 * from the root (absolute) or the current directory ({@code ..} stops at the root), as
 * moby's FollowSymlinkInScope. Nothing is ever resolved by the kernel through a symlink, so a
 * container's {@code ln -s / /tmp/escape} leads back into the container, never to the host
 * (CVE-2018-15664 / CVE-2019-14271 class). Uploads go through berth-image's {@link LayerExtractor}
 * (descriptor-relative, rejects hostile names and links) into the resolved directory, named by
 * {@code /proc/self/fd/N} of its verified descriptor.
 */
final class ContainerArchive {
    static final String STAT_HEADER = "X-Docker-Container-Path-Stat";
    private static final int MAX_LINKS = 40;

    private final Path root, snapshot;
    private final String container;

    /**
     * @param root the tree to work in ({@code /proc/PID/root} or the snapshot's overlay)
     * @param snapshot the snapshot's merged overlay: {@code root} must be that same directory (a pid
     *        reused by a host process after the container exited must never lead to the host's root)
     */
    ContainerArchive(Path root, Path snapshot, String container) {
        this.root = root;
        this.snapshot = snapshot;
        this.container = container;
    }

    private Dir openRoot() throws IOException {
        Dir d = Dir.open(root);
        if (root.equals(snapshot)) return d;
        try (Dir s = Dir.open(snapshot)) {
            Dir.Stat a = d.stat(), b = s.stat();
            if (a.dev() == b.dev() && a.ino() == b.ino()) return d;
        } catch (IOException | RuntimeException e) {
            d.close();
            throw e;
        }
        d.close();
        throw ApiException.conflict("container " + container + " changed state while its file system was opened; try again");
    }

    /** A path resolved in scope: its parent directory's components (no symlinks) and its last name ("" for the root). */
    record Resolved(List<String> parent, String base) {
        String path() {
            StringBuilder b = new StringBuilder();
            for (String p : parent) b.append('/').append(p);
            if (!base.isEmpty()) b.append('/').append(base);
            return b.isEmpty() ? "/" : b.toString();
        }
    }

    /** The file's stat as dockerd's X-Docker-Container-Path-Stat wants it. */
    record PathStat(String name, long size, long mode, String mtime, String linkTarget, Dir.Stat raw) {
        String header() {
            ObjectNode o = Json.object();
            o.put("name", name);
            o.put("size", size);
            o.put("mode", mode);
            o.put("mtime", mtime);
            o.put("linkTarget", linkTarget);
            return Base64.getEncoder().encodeToString(Responses.jsonBytes(o));
        }
    }

    ApiException notFound(String path) {
        return ApiException.notFound("Could not find the file " + path + " in container " + container);
    }

    private static Deque<String> components(String path) {
        Deque<String> out = new ArrayDeque<>();
        for (String c : path.split("/")) if (!c.isEmpty() && !c.equals(".")) out.add(c);
        return out;
    }

    /** Opens the directory at {@code comps} below {@code top}, never through a symlink; null if not there or not a directory. */
    private static Dir open(Dir top, List<String> comps) throws IOException {
        Dir cur = top.child(Dir.name("."));
        for (String c : comps) {
            if (cur == null) return null;
            Dir next = cur.child(Dir.name(c));
            cur.close();
            cur = next;
        }
        return cur;
    }

    /**
     * Resolves {@code path} in scope; the last component is followed if a symlink only when
     * {@code followLast}. A missing component ends the resolution (the rest is kept as given).
     */
    Resolved resolve(Dir top, String path, boolean followLast) throws IOException {
        if (path.indexOf('\0') >= 0) throw ApiException.badRequest("invalid path: contains NUL");
        Deque<String> todo = components(path);
        List<String> done = new ArrayList<>();
        int links = 0;
        while (!todo.isEmpty()) {
            String c = todo.poll();
            if (c.equals(".")) continue;
            if (c.equals("..")) {
                if (!done.isEmpty()) done.remove(done.size() - 1);
                continue;
            }
            if (todo.isEmpty() && !followLast) return new Resolved(done, c);
            Dir.Stat st;
            String target = null;
            try (Dir d = open(top, done)) {
                if (d == null) { done.add(c); done.addAll(todo); break; }   // a component is not a directory: missing
                st = d.lstat(Dir.name(c));
                if (st != null && st.isLink()) target = d.readlink(Dir.name(c));
            }
            if (st == null) { done.add(c); done.addAll(todo); break; }
            if (st.isLink()) {
                if (++links > MAX_LINKS) throw ApiException.badRequest("too many levels of symbolic links: " + path);
                if (target == null) throw notFound(path);
                if (target.startsWith("/")) done.clear();
                List<String> t = new ArrayList<>(components(target));
                for (int i = t.size() - 1; i >= 0; i--) todo.push(t.get(i));
                continue;
            }
            done.add(c);
        }
        if (done.isEmpty()) return new Resolved(List.of(), "");
        return new Resolved(new ArrayList<>(done.subList(0, done.size() - 1)), done.get(done.size() - 1));
    }

    /** Go's os.FileMode bits for a Unix st_mode. */
    static long goMode(int m) {
        long g = m & 0777;
        switch (m & 0170000) {
            case 0040000 -> g |= 1L << 31;                 // ModeDir
            case 0120000 -> g |= 1L << 27;                 // ModeSymlink
            case 0060000 -> g |= 1L << 26;                 // ModeDevice
            case 0020000 -> g |= (1L << 26) | (1L << 21);  // ModeDevice|ModeCharDevice
            case 0010000 -> g |= 1L << 25;                 // ModeNamedPipe
            case 0140000 -> g |= 1L << 24;                 // ModeSocket
            default -> { }
        }
        if ((m & 04000) != 0) g |= 1L << 23;   // ModeSetuid
        if ((m & 02000) != 0) g |= 1L << 22;   // ModeSetgid
        if ((m & 01000) != 0) g |= 1L << 20;   // ModeSticky
        return g;
    }

    private static final DateTimeFormatter RFC3339 = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSSSSXXX").withZone(ZoneOffset.UTC);

    /** Stat of {@code path} (a symlink itself, not its target): 404 if missing. */
    PathStat stat(String path) throws IOException {
        try (Dir top = openRoot()) {
            Resolved r = resolve(top, path, false);
            try (Dir d = open(top, r.parent())) {
                if (d == null) throw notFound(path);
                Dir.Stat st = d.lstat(Dir.name(r.base().isEmpty() ? "." : r.base()));
                if (st == null) throw notFound(path);
                String link = "";
                if (st.isLink()) {
                    Resolved t = resolve(top, r.path(), true);
                    link = t.path();
                }
                List<String> given = new ArrayList<>(components(path));
                String name = given.isEmpty() ? "/" : given.get(given.size() - 1);
                return new PathStat(name, st.size(), goMode(st.mode()), RFC3339.format(Instant.ofEpochMilli(st.mtimeMillis())), link, st);
            }
        }
    }

    /** Writes the tar of {@code path} (a file, or a directory and everything below it), entries named from its base name. */
    void archive(String path, PathStat stat, OutputStream out) throws IOException {
        try (Dir top = openRoot()) {
            Resolved r = resolve(top, path, false);
            String name = stat.name().equals("/") ? "." : stat.name();
            TarArchiveOutputStream tar = new TarArchiveOutputStream(out);
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            try (Dir d = open(top, r.parent())) {
                if (d == null) throw notFound(path);
                byte[] base = Dir.name(r.base().isEmpty() ? "." : r.base());
                Dir.Stat st = d.lstat(base);
                if (st == null) throw notFound(path);
                entry(tar, d, base, name, st);
                if (st.isDir()) {
                    try (Dir sub = d.child(base)) {
                        if (sub == null) throw notFound(path);
                        sub.walk(e -> {
                            entry(tar, e.dir(), e.raw(), name + "/" + e.path(), e.stat());
                            return true;
                        });
                    }
                }
            }
            tar.finish();
            tar.flush();
        }
    }

    /** The whole tree as {@code docker export} writes it: entries named relative to the root ("bin/", "etc/passwd"). */
    void export(OutputStream out) throws IOException {
        try (Dir top = openRoot()) {
            TarArchiveOutputStream tar = new TarArchiveOutputStream(out);
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            top.walk(e -> {
                entry(tar, e.dir(), e.raw(), e.path(), e.stat());
                return true;
            });
            tar.finish();
            tar.flush();
        }
    }

    private static void entry(TarArchiveOutputStream tar, Dir d, byte[] raw, String name, Dir.Stat st) throws IOException {
        TarArchiveEntry e;
        if (st.isDir()) e = new TarArchiveEntry(name + "/");
        else if (st.isLink()) {
            e = new TarArchiveEntry(name, TarArchiveEntry.LF_SYMLINK);
            String t = d.readlink(raw);
            e.setLinkName(t == null ? "" : t);
        } else if (st.isFile()) {
            e = new TarArchiveEntry(name);
            e.setSize(st.size());
        } else if (st.type() == 0020000 || st.type() == 0060000 || st.type() == 0010000) {
            e = new TarArchiveEntry(name, st.type() == 0020000 ? TarArchiveEntry.LF_CHR : st.type() == 0060000 ? TarArchiveEntry.LF_BLK : TarArchiveEntry.LF_FIFO);
            long dev = st.rdev();
            e.setDevMajor((int) (((dev >>> 32) & 0xfffff000L) | ((dev >>> 8) & 0xfffL)));
            e.setDevMinor((int) (((dev >>> 12) & 0xffffff00L) | (dev & 0xffL)));
        } else return;   // sockets: not archived (as dockerd)
        e.setMode(st.mode() & 07777);
        e.setUserId(st.uid());
        e.setGroupId(st.gid());
        e.setModTime(st.mtimeMillis());
        tar.putArchiveEntry(e);
        if (st.isFile()) {
            try (InputStream in = d.openFile(raw)) {
                byte[] buf = new byte[1 << 16];
                long left = st.size();
                int n;
                while (left > 0 && (n = in.read(buf, 0, (int) Math.min(buf.length, left))) > 0) {
                    tar.write(buf, 0, n);
                    left -= n;
                }
                // a file that shrank meanwhile: pad with zeros to the size announced
                while (left > 0) {
                    int k = (int) Math.min(buf.length, left);
                    java.util.Arrays.fill(buf, 0, k, (byte) 0);
                    tar.write(buf, 0, k);
                    left -= k;
                }
            }
        }
        tar.closeArchiveEntry();
    }

    /**
     * Extracts the tar {@code body} into directory {@code path}. The body is spooled to a temp file
     * and every header checked first (a corrupt tar or a hostile name: 400, nothing written).
     */
    void extract(String path, InputStream body, boolean noOverwriteDirNonDir, boolean copyUidGid, Path spoolDir) throws IOException {
        Path spool = Files.createTempFile(spoolDir, "cp-", ".tar");
        try {
            try (OutputStream o = Files.newOutputStream(spool)) {
                body.transferTo(o);
            } catch (IOException e) {
                throw ApiException.badRequest("reading the archive: " + e.getMessage());
            }
            try (Dir top = openRoot()) {
                Resolved r = resolve(top, path, true);
                List<String> comps = new ArrayList<>(r.parent());
                if (!r.base().isEmpty()) comps.add(r.base());
                try (Dir dest = open(top, comps)) {
                    if (dest == null) {
                        try (Dir p = open(top, r.parent())) {
                            if (p != null && p.lstat(Dir.name(r.base())) != null)
                                throw ApiException.badRequest("extraction point is not a directory");
                        }
                        throw notFound(path);
                    }
                    check(spool, dest, noOverwriteDirNonDir);
                    Path target = Path.of("/proc/self/fd/" + dest.fd() + "/.");   // the verified directory itself
                    LayerExtractor.Options o = LayerExtractor.Options.DEFAULT;
                    o = new LayerExtractor.Options(o.allowDevices(), o.maxEntrySize(), o.maxTotalSize(), copyUidGid);
                    try (InputStream in = new BufferedInputStream(Files.newInputStream(spool), 1 << 16)) {
                        LayerExtractor.extract(in, target, o);
                    } catch (ImageException e) {
                        throw ApiException.badRequest(e.getMessage());
                    }
                }
            }
        } finally {
            Files.deleteIfExists(spool);
        }
    }

    /** Reads every header: names must be safe, the tar whole; with noOverwriteDirNonDir, no directory replaced by a file or back. */
    private static void check(Path spool, Dir dest, boolean noOverwriteDirNonDir) throws IOException {
        String current = null;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(spool), 1 << 16)) {
            TarArchiveInputStream tar = new TarArchiveInputStream(in);
            TarArchiveEntry e;
            int n = 0;
            while ((e = tar.getNextEntry()) != null) {
                n++;
                current = e.getName();
                String rel = LayerExtractor.clean(current);
                if (!noOverwriteDirNonDir || rel.isEmpty()) continue;
                List<String> comps = new ArrayList<>(components(rel));
                String base = comps.remove(comps.size() - 1);
                try (Dir p = open(dest, comps)) {
                    if (p == null) continue;
                    Dir.Stat st = p.lstat(Dir.name(base));
                    if (st == null) continue;
                    if (st.isDir() && !e.isDirectory())
                        throw ApiException.badRequest("cannot overwrite directory \"" + rel + "\" with non-directory \"" + rel + "\"");
                    if (!st.isDir() && e.isDirectory())
                        throw ApiException.badRequest("cannot overwrite non-directory \"" + rel + "\" with directory \"" + rel + "\"");
                }
            }
            if (n == 0) throw ApiException.badRequest("the archive is empty or not a tar");
        } catch (ImageException x) {
            throw ApiException.badRequest("unsafe archive entry " + current + ": " + x.getMessage());
        } catch (IOException | IllegalArgumentException x) {
            throw ApiException.badRequest("corrupt or truncated archive" + (current == null ? "" : " after " + current) + ": " + x.getMessage());
        }
    }

}
