package dev.berth.image.tar;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.HashMap;
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

    /** Writes the tree under {@code root} (not the root entry itself) and finishes the tar; any depth (see {@link Dir#walk}). */
    public static void write(Path root, boolean overlayUpper, OutputStream out) throws IOException {
        LayerWriter w = new LayerWriter(root, overlayUpper, out);
        Dir.walk(root, w::entry);
        w.tar.finish();
        w.tar.flush();
    }

    /** One entry; true for a directory (its entries follow). */
    private boolean entry(Dir.Entry d) throws IOException {
        Dir.Stat a = d.stat();
        String rel = d.path();
        int mode = a.mode();
        int type = mode & S_IFMT;
        long mtime = a.mtimeMillis();
        TarArchiveEntry e;
        if (type == S_IFCHR && overlayUpper && a.rdev() == 0L) {
            int slash = rel.lastIndexOf('/');
            String wh = (slash < 0 ? "" : rel.substring(0, slash + 1)) + ".wh." + rel.substring(slash + 1);
            e = new TarArchiveEntry(wh);
            e.setSize(0);
            e.setMode(0100000);
            e.setModTime(mtime);
            put(e);
            tar.closeArchiveEntry();
            return false;
        }
        switch (type) {
            case S_IFDIR -> {
                e = new TarArchiveEntry(rel + "/");
                fill(e, a, mode, mtime);
                put(e);
                tar.closeArchiveEntry();
                if (overlayUpper && d.dir().opaque(d.raw())) {
                    TarArchiveEntry o = new TarArchiveEntry(rel + "/.wh..wh..opq");
                    o.setSize(0);
                    o.setMode(0100000);
                    o.setModTime(mtime);
                    put(o);
                    tar.closeArchiveEntry();
                }
                return true;
            }
            case S_IFLNK -> {
                String target = d.dir().readlink(d.raw());
                if (target == null) throw new IOException("cannot read symlink " + rel);
                e = new TarArchiveEntry(rel, TarConstants.LF_SYMLINK);
                e.setLinkName(target);
                fill(e, a, mode, mtime);
                put(e);
                tar.closeArchiveEntry();
            }
            case S_IFREG -> {
                String key = a.dev() + ":" + a.ino();
                if (a.nlink() > 1) {
                    String first = inodes.putIfAbsent(key, rel);
                    if (first != null) {
                        e = new TarArchiveEntry(rel, TarConstants.LF_LINK);
                        e.setLinkName(first);
                        fill(e, a, mode, mtime);
                        put(e);
                        tar.closeArchiveEntry();
                        return false;
                    }
                }
                e = new TarArchiveEntry(rel);
                fill(e, a, mode, mtime);
                e.setSize(a.size());
                put(e);
                try (InputStream in = d.dir().openFile(d.raw())) {
                    long left = a.size();
                    int n;
                    while (left > 0 && (n = in.read(buf, 0, (int) Math.min(buf.length, left))) > 0) { tar.write(buf, 0, n); left -= n; }
                    if (left > 0) throw new IOException(rel + " shrank while it was archived");
                }
                tar.closeArchiveEntry();
            }
            case S_IFCHR, S_IFBLK, S_IFIFO -> {
                byte flag = type == S_IFCHR ? TarConstants.LF_CHR : type == S_IFBLK ? TarConstants.LF_BLK : TarConstants.LF_FIFO;
                e = new TarArchiveEntry(rel, flag);
                long rdev = a.rdev();
                e.setDevMajor((int) (((rdev >>> 32) & 0xfffff000L) | ((rdev >>> 8) & 0xfffL)));
                e.setDevMinor((int) (((rdev >>> 12) & 0xffffff00L) | (rdev & 0xffL)));
                fill(e, a, mode, mtime);
                put(e);
                tar.closeArchiveEntry();
            }
            default -> { /* sockets: not archived */ }
        }
        return false;
    }

    /**
     * Starts entry {@code e}. A name or link target that does not fit the header (100 bytes, ASCII)
     * goes into a PAX header written here, the header getting a short form: commons-compress
     * would shorten it by encoding it again one character shorter at a time (quadratic in the
     * name: minutes for the entries of a 2,000-deep tree). Entries that also need PAX numbers are
     * left to commons-compress (one PAX header per entry: readers keep only the last).
     */
    private void put(TarArchiveEntry e) throws IOException {
        String name = e.getName(), link = e.getLinkName();
        boolean longName = !fits(name), longLink = link != null && !link.isEmpty() && !fits(link);
        if ((longName || longLink) && !needsPaxNumbers(e)) {
            StringBuilder pax = new StringBuilder();
            if (longName) { pax.append(record("path", name)); e.setName(shortForm(name)); }
            if (longLink) { pax.append(record("linkpath", link)); e.setLinkName(shortForm(link)); }
            // a sub-second mtime would make commons-compress write a second PAX header of its own
            // (readers such as Go's keep only the last): it goes into this one, the header gets seconds
            long ms = e.getModTime().getTime(), sec = Math.floorDiv(ms, 1000);
            if (ms % 1000 != 0) {
                pax.append(record("mtime", java.math.BigDecimal.valueOf(ms, 3).stripTrailingZeros().toPlainString()));
                e.setModTime(sec * 1000);
            }
            byte[] data = pax.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
            TarArchiveEntry x = new TarArchiveEntry("PaxHeaders.0/" + shortForm(name).substring(0, Math.min(80, shortForm(name).length())),
                    TarConstants.LF_PAX_EXTENDED_HEADER_LC);
            x.setSize(data.length);
            x.setModTime(sec * 1000);
            tar.putArchiveEntry(x);
            tar.write(data);
            tar.closeArchiveEntry();
        }
        tar.putArchiveEntry(e);
    }

    private static boolean fits(String s) {
        if (s.length() >= 100) return false;
        for (int i = 0; i < s.length(); i++) if (s.charAt(i) >= 0x80) return false;
        return true;
    }

    /** At most 99 ASCII characters (what readers show that ignore PAX). */
    private static String shortForm(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 99; i++) b.append(s.charAt(i) < 0x80 ? s.charAt(i) : '_');
        return b.toString();
    }

    private static boolean needsPaxNumbers(TarArchiveEntry e) {
        long mtime = e.getModTime().getTime() / 1000;
        return e.getLongUserId() > 07777777 || e.getLongGroupId() > 07777777 || e.getSize() > 077777777777L
                || mtime < 0 || mtime > 077777777777L || e.getDevMajor() > 07777777 || e.getDevMinor() > 07777777;
    }

    /** One PAX record: "LEN key=value\n", LEN counting itself. */
    static String record(String key, String value) {
        int n = (" " + key + "=" + value + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        int len = n + String.valueOf(n).length();
        if (String.valueOf(len).length() > String.valueOf(n).length()) len++;
        return len + " " + key + "=" + value + "\n";
    }

    private static void fill(TarArchiveEntry e, Dir.Stat a, int mode, long mtime) {
        e.setMode(mode);
        e.setUserId(a.uid() & 0xffffffffL);
        e.setGroupId(a.gid() & 0xffffffffL);
        e.setModTime(mtime);
    }
}
