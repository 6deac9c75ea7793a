package dev.berth.image.fuzz;

import com.github.luben.zstd.ZstdOutputStream;
import dev.berth.image.TestSupport;
import dev.berth.image.TestSupport.Tar;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Writes {@link TarFuzzTest}'s seed corpus: small layers with every kind of entry the extractor
 * handles, one per attack it must refuse (each attack first, since extraction stops at the first
 * error), compressed forms and GNU tar's sparse formats (GNU tar writes those). Run after changing
 * it, with JDK 25 (the command is in the module README, "Fuzzing"); entry times are the time of
 * the run, so the files change each time.
 */
public final class TarSeeds {
    /** Where an escape through an absolute symlink would land (checked by TarFuzzTest). */
    static final String OUTSIDE = "/proc/self/cwd/target/fuzz-tar/outside";

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "src/test/resources/dev/berth/image/fuzz/TarFuzzTestInputs/extract");
        Files.createDirectories(dir);
        byte[] basic = basic();
        Files.write(dir.resolve("basic.tar"), basic);
        Files.write(dir.resolve("basic.tar.gz"), gzip(basic));
        Files.write(dir.resolve("basic.tar.zst"), zstd(basic));
        Files.write(dir.resolve("empty.tar"), new Tar().bytes());
        Files.write(dir.resolve("whiteouts.tar"), new Tar().dir("a").file("a/.wh.b", "").file("c/.wh..wh..opq", "")
                .file(".wh..wh.plnk/1", "").file("d/.wh.e", "").dir("d/e").bytes());
        Files.write(dir.resolve("pax-xattrs-longnames.tar"), pax());
        Files.write(dir.resolve("gnu-longnames.tar"), gnuLongNames());
        Files.write(dir.resolve("replace.tar"), new Tar().dir("d").file("d/f", "1").file("d", "now a file").dir("d")
                .symlink("s", "d").file("s", "file").hardlink("h", "s").file("h", "x").dir("s").bytes());
        Files.write(dir.resolve("devices.tar"), new Tar().device("null", TarConstants.LF_CHR, 1, 3)
                .device("sda", TarConstants.LF_BLK, 8, 0).device("fifo", TarConstants.LF_FIFO, 0, 0).bytes());
        // attacks, each alone
        Files.write(dir.resolve("attack-abs-symlink.tar"), new Tar().symlink("x", OUTSIDE).file("x/evil", "x").bytes());
        Files.write(dir.resolve("attack-dir-then-symlink.tar"), new Tar().dir("d").file("d/ok", "1").symlink("d", OUTSIDE)
                .file("d/evil", "x").bytes());
        Files.write(dir.resolve("attack-rel-symlink.tar"), new Tar().symlink("a/up", "../../outside").file("a/up/evil", "x").bytes());
        Files.write(dir.resolve("attack-dotdot.tar"), new Tar().file("a/../../../../../../../../../outside/evil", "x").bytes());
        Files.write(dir.resolve("attack-hardlink-out.tar"), new Tar().hardlink("h", "../../outside/x").bytes());
        Files.write(dir.resolve("attack-hardlink-symlink.tar"), new Tar().symlink("s", OUTSIDE + "/x").hardlink("h", "s").bytes());
        Files.write(dir.resolve("attack-whiteout-through-symlink.tar"), new Tar().symlink("w", OUTSIDE).file("w/.wh.x", "").bytes());
        sparse(dir);
    }

    static byte[] basic() throws IOException {
        Tar t = new Tar();
        t.dir("etc").file("etc/hostname", "berth\n");
        TarArchiveEntry bb = new TarArchiveEntry("bin/busybox", true);
        bb.setMode(0104755);
        bb.setSize(4);
        bb.setModTime(FileTime.fromMillis(1_700_000_000_000L));
        t.entry(bb, "\177ELF".getBytes(StandardCharsets.ISO_8859_1));
        t.symlink("bin/sh", "busybox").hardlink("bin/ls", "bin/busybox");
        t.symlink("a/b/ok", "../../etc/hostname").symlink("abs", "/etc/passwd");
        TarArchiveEntry home = new TarArchiveEntry("home/user/", true);
        home.setMode(040700);
        home.setIds(1000, 1000);
        t.entry(home, null);
        TarArchiveEntry f = new TarArchiveEntry("home/user/.profile", true);
        f.setMode(0100600);
        f.setIds(1000, 1000);
        f.setSize(3);
        t.entry(f, "x=1".getBytes(StandardCharsets.UTF_8));
        return t.bytes();
    }

    static byte[] pax() throws IOException {
        Tar t = new Tar();
        TarArchiveEntry e = new TarArchiveEntry("cap", true);
        e.setSize(1);
        e.setMode(0100755);
        e.addPaxHeader("SCHILY.xattr.user.note", "hello");
        e.addPaxHeader("SCHILY.xattr.security.capability", "\u0001\u0000\u0000\u0002\u0000\u0020\u0000\u0000");
        e.addPaxHeader("SCHILY.xattr.trusted.overlay.opaque", "y");
        t.entry(e, new byte[]{'x'});
        String longDir = "l".repeat(150) + "/" + "m".repeat(120);
        t.dir(longDir).file(longDir + "/f", "long");
        t.symlink("long-link", "../".repeat(0) + longDir + "/f");
        TarArchiveEntry d = new TarArchiveEntry("xd/", true);
        d.setMode(040755);
        d.addPaxHeader("SCHILY.xattr.user.dir", "1");
        d.addPaxHeader("mtime", "1700000000.5");
        t.entry(d, null);
        return t.bytes();
    }

    static byte[] gnuLongNames() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(b)) {
            out.setLongFileMode(TarArchiveOutputStream.LONGFILE_GNU);
            String name = "g".repeat(200) + "/file";
            TarArchiveEntry e = new TarArchiveEntry(name, true);
            e.setSize(2);
            out.putArchiveEntry(e);
            out.write("ok".getBytes(StandardCharsets.UTF_8));
            out.closeArchiveEntry();
            TarArchiveEntry l = new TarArchiveEntry("s".repeat(120), TarConstants.LF_SYMLINK);
            l.setLinkName(name);
            out.putArchiveEntry(l);
            out.closeArchiveEntry();
        }
        return b.toByteArray();
    }

    /** GNU tar's sparse entries: old GNU format and PAX 0.0, 0.1 and 1.0 (needs GNU tar). */
    static void sparse(Path dir) throws IOException, InterruptedException {
        Path work = Files.createTempDirectory("berth-seeds");
        try {
            Path f = work.resolve("sparse");
            try (var ch = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.CREATE_NEW,
                    java.nio.file.StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.wrap("head".getBytes(StandardCharsets.UTF_8)), 0);
                ch.write(java.nio.ByteBuffer.wrap("middle".getBytes(StandardCharsets.UTF_8)), 300_000);
                ch.write(java.nio.ByteBuffer.wrap("tail".getBytes(StandardCharsets.UTF_8)), 1_000_000);
            }
            String[][] forms = {{"sparse-gnu.tar", "--format=gnu"}, {"sparse-pax-0.0.tar", "--format=posix", "--sparse-version=0.0"},
                    {"sparse-pax-0.1.tar", "--format=posix", "--sparse-version=0.1"}, {"sparse-pax-1.0.tar", "--format=posix", "--sparse-version=1.0"}};
            for (String[] form : forms) {
                java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("tar", "-C", work.toString(), "-S", "-b1",
                        "--numeric-owner", "--owner=0", "--group=0", "--mtime=@1700000000", "--pax-option=delete=atime,delete=ctime"));
                for (int i = 1; i < form.length; i++) cmd.add(form[i]);
                if (form[1].equals("--format=gnu")) cmd.remove("--pax-option=delete=atime,delete=ctime");
                cmd.addAll(java.util.List.of("-cf", dir.resolve(form[0]).toAbsolutePath().toString(), "sparse"));
                TestSupport.run(null, cmd.toArray(String[]::new));
            }
        } finally {
            TestSupport.deleteQuietly(work);
        }
    }

    static byte[] gzip(byte[] b) throws IOException {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        try (OutputStream z = new GZIPOutputStream(o)) { z.write(b); }
        return o.toByteArray();
    }

    static byte[] zstd(byte[] b) throws IOException {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        try (OutputStream z = new ZstdOutputStream(o)) { z.write(b); }
        return o.toByteArray();
    }
}
