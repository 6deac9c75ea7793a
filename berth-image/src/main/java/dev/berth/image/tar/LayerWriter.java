package dev.berth.image.tar;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Writes a directory as a layer tar (sorted, PAX for long names and big ids, hardlinks kept).
 * With {@code overlayUpper}, overlay whiteouts (char 0/0) become {@code .wh.NAME} and opaque
 * directories get a {@code .wh..wh..opq} entry: the OCI form of a container's changes.
 */
public final class LayerWriter {
    private static final int S_IFMT = 0170000, S_IFDIR = 0040000, S_IFREG = 0100000, S_IFLNK = 0120000,
            S_IFCHR = 0020000, S_IFBLK = 0060000, S_IFIFO = 0010000;

    private final Path root;
    private final boolean overlayUpper;
    private final TarArchiveOutputStream tar;
    private final Map<String, String> inodes = new HashMap<>();
    private final byte[] buf = new byte[1 << 17];

    private LayerWriter(Path root, boolean overlayUpper, OutputStream out) {
        this.root = root;
        this.overlayUpper = overlayUpper;
        this.tar = new TarArchiveOutputStream(out, 512 * 20, java.nio.charset.StandardCharsets.UTF_8.name());
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        tar.setAddPaxHeadersForNonAsciiNames(true);
    }

    /** Writes the tree under {@code root} (not the root entry itself) and finishes the tar. */
    public static void write(Path root, boolean overlayUpper, OutputStream out) throws IOException {
        LayerWriter w = new LayerWriter(root, overlayUpper, out);
        w.dir(root, "");
        w.tar.finish();
        w.tar.flush();
    }

    private void dir(Path d, String rel) throws IOException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(d)) {
            for (Path p : ds) names.add(p.getFileName().toString());
        }
        Collections.sort(names);
        for (String n : names) entry(d.resolve(n), rel.isEmpty() ? n : rel + "/" + n);
    }

    private void entry(Path p, String rel) throws IOException {
        Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,size,lastModifiedTime,ino,dev,nlink,rdev", LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) a.get("mode");
        int type = mode & S_IFMT;
        long mtime = ((FileTime) a.get("lastModifiedTime")).toMillis();
        TarArchiveEntry e;
        if (type == S_IFCHR && overlayUpper && (Long) a.get("rdev") == 0L) {
            int slash = rel.lastIndexOf('/');
            String wh = (slash < 0 ? "" : rel.substring(0, slash + 1)) + ".wh." + rel.substring(slash + 1);
            e = new TarArchiveEntry(wh);
            e.setSize(0);
            e.setMode(0100000);
            e.setModTime(mtime);
            tar.putArchiveEntry(e);
            tar.closeArchiveEntry();
            return;
        }
        switch (type) {
            case S_IFDIR -> {
                e = new TarArchiveEntry(rel + "/");
                fill(e, a, mode, mtime);
                tar.putArchiveEntry(e);
                tar.closeArchiveEntry();
                if (overlayUpper) {
                    byte[] opq = Libc.lgetxattr(p, "trusted.overlay.opaque");
                    if (opq != null && opq.length == 1 && opq[0] == 'y') {
                        TarArchiveEntry o = new TarArchiveEntry(rel + "/.wh..wh..opq");
                        o.setSize(0);
                        o.setMode(0100000);
                        o.setModTime(mtime);
                        tar.putArchiveEntry(o);
                        tar.closeArchiveEntry();
                    }
                }
                dir(p, rel);
            }
            case S_IFLNK -> {
                e = new TarArchiveEntry(rel, TarConstants.LF_SYMLINK);
                e.setLinkName(Files.readSymbolicLink(p).toString());
                fill(e, a, mode, mtime);
                tar.putArchiveEntry(e);
                tar.closeArchiveEntry();
            }
            case S_IFREG -> {
                String key = a.get("dev") + ":" + a.get("ino");
                if ((Integer) a.get("nlink") > 1) {
                    String first = inodes.putIfAbsent(key, rel);
                    if (first != null) {
                        e = new TarArchiveEntry(rel, TarConstants.LF_LINK);
                        e.setLinkName(first);
                        fill(e, a, mode, mtime);
                        tar.putArchiveEntry(e);
                        tar.closeArchiveEntry();
                        return;
                    }
                }
                e = new TarArchiveEntry(rel);
                fill(e, a, mode, mtime);
                e.setSize((Long) a.get("size"));
                tar.putArchiveEntry(e);
                try (InputStream in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS)) {
                    int n;
                    while ((n = in.read(buf)) > 0) tar.write(buf, 0, n);
                }
                tar.closeArchiveEntry();
            }
            case S_IFCHR, S_IFBLK, S_IFIFO -> {
                byte flag = type == S_IFCHR ? TarConstants.LF_CHR : type == S_IFBLK ? TarConstants.LF_BLK : TarConstants.LF_FIFO;
                e = new TarArchiveEntry(rel, flag);
                long rdev = (Long) a.get("rdev");
                e.setDevMajor((int) (((rdev >>> 32) & 0xfffff000L) | ((rdev >>> 8) & 0xfffL)));
                e.setDevMinor((int) (((rdev >>> 12) & 0xffffff00L) | (rdev & 0xffL)));
                fill(e, a, mode, mtime);
                tar.putArchiveEntry(e);
                tar.closeArchiveEntry();
            }
            default -> { /* sockets: not archived */ }
        }
    }

    private static void fill(TarArchiveEntry e, Map<String, Object> a, int mode, long mtime) {
        e.setMode(mode);
        e.setUserId(((Number) a.get("uid")).longValue());
        e.setGroupId(((Number) a.get("gid")).longValue());
        e.setModTime(mtime);
    }
}
