package dev.berth.image.tar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.luben.zstd.ZstdOutputStream;
import dev.berth.image.TestSupport.Tar;
import dev.berth.image.api.Descriptor;
import dev.berth.image.api.Digest;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.MediaTypes;
import dev.berth.image.snapshot.SnapshotStore;
import dev.berth.image.store.Store;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The corpus of crafted archives: each attack is a test, each must fail cleanly or be neutralised. */
class ExtractionAttackTest {
    @TempDir Path tmp;
    Path dest;
    Path outside;

    @BeforeEach void setUp() throws IOException {
        dest = Files.createDirectories(tmp.resolve("dest"));
        outside = Files.createDirectories(tmp.resolve("outside"));
        Files.writeString(outside.resolve("secret"), "host data");
    }

    private LayerExtractor.Result extract(byte[] tar) {
        return LayerExtractor.extract(new ByteArrayInputStream(tar), dest, LayerExtractor.Options.DEFAULT);
    }

    private void assertOutsideUntouched() throws IOException {
        try (var ls = Files.list(outside)) { assertThat(ls.map(p -> p.getFileName().toString())).containsExactly("secret"); }
        assertThat(Files.readString(outside.resolve("secret"))).isEqualTo("host data");
    }

    private void rejects(byte[] tar, String entry, String why) throws IOException {
        assertThatThrownBy(() -> extract(tar)).isInstanceOf(ImageException.UnsafeArchive.class)
                .hasMessageContaining(entry).hasMessageContaining(why);
        assertOutsideUntouched();
    }

    @Test void dotDotName() throws IOException {
        rejects(new Tar().file("../outside/evil", "x").bytes(), "../outside/evil", "'..'");
        rejects(new Tar().file("a/../../outside/evil", "x").bytes(), "a/../../outside/evil", "'..'");
    }

    @Test void absoluteName() throws IOException {
        rejects(new Tar().file(outside.resolve("evil").toString(), "x").bytes(), "evil", "absolute name");
    }

    @Test void writeThroughSymlinkTheArchiveCreated() throws IOException {
        // CVE-2018-15664 class: a symlink to the host, then a file "under" it.
        rejects(new Tar().symlink("link", outside.toString()).file("link/evil", "x").bytes(), "link/evil", "is a symlink (not followed)");
        rejects(new Tar().symlink("rel", "../outside").file("rel/evil", "x").bytes(), "rel", "points out of the root");
    }

    @Test void directoryReplacedBySymlinkThenWrittenThrough() throws IOException {
        byte[] t = new Tar().dir("d").file("d/ok", "fine").symlink("d", outside.toString()).file("d/evil", "x").bytes();
        rejects(t, "d/evil", "is a symlink (not followed)");
    }

    @Test void relativeSymlinkEscapes() throws IOException {
        rejects(new Tar().symlink("a/b/up", "../../../outside").bytes(), "a/b/up", "points out of the root");
        extract(new Tar().symlink("a/b/ok", "../../etc/passwd").symlink("abs", "/etc/passwd").bytes());
        assertThat(Files.readSymbolicLink(dest.resolve("abs")).toString()).isEqualTo("/etc/passwd");
    }

    @Test void hardlinkOutOfTheRoot() throws IOException {
        rejects(new Tar().hardlink("h", "../outside/secret").bytes(), "h", "'..'");
        rejects(new Tar().hardlink("h", outside.resolve("secret").toString()).bytes(), "entry h: hardlink target", "absolute name");
        rejects(new Tar().symlink("s", outside.toString()).hardlink("h", "s/secret").bytes(), "h", "is a symlink (not followed)");
        rejects(new Tar().hardlink("h", "missing").bytes(), "h", "does not exist");
    }

    @Test void hardlinkToSymlinkPointingOut() throws IOException {
        rejects(new Tar().symlink("s", outside.resolve("secret").toString()).hardlink("h", "s").bytes(), "h", "hardlink to symlink s pointing out");
    }

    @Test void hardlinkToSymlinkInsideIsLinkNotFollowed() throws IOException {
        extract(new Tar().file("f", "data").symlink("s", "f").hardlink("h", "s").bytes());
        assertThat(Files.isSymbolicLink(dest.resolve("h"))).isTrue();
    }

    @Test void deviceNodesAreSkipped() throws IOException {
        LayerExtractor.Result r = extract(new Tar().device("dev/mem", TarConstants.LF_CHR, 1, 1)
                .device("dev/sda", TarConstants.LF_BLK, 8, 0).file("ok", "x").bytes());
        assertThat(dest.resolve("dev/mem")).doesNotExist();
        assertThat(dest.resolve("dev/sda")).doesNotExist();
        assertThat(r.skipped()).anyMatch(s -> s.startsWith("dev/mem")).anyMatch(s -> s.startsWith("dev/sda"));
        assertThat(dest.resolve("ok")).exists();
    }

    @Test void devicesAllowedWhenAskedAndRoot() throws IOException {
        LayerExtractor.extract(new ByteArrayInputStream(new Tar().device("null", TarConstants.LF_CHR, 1, 3).bytes()), dest,
                new LayerExtractor.Options(true, 1 << 20, 1 << 20, true));
        if (Libc.isRoot()) assertThat(Files.readAttributes(dest.resolve("null"), "unix:rdev", LinkOption.NOFOLLOW_LINKS).get("rdev")).isEqualTo(259L);
    }

    @Test void whiteoutsBecomeOverlayFormAndAreNeverFollowed() throws IOException {
        extract(new Tar().dir("etc").file("etc/.wh.passwd", "").dir("opt").file("opt/.wh..wh..opq", "")
                .symlink("s", outside.resolve("secret").toString()).file(".wh.s", "").bytes());
        Map<String, Object> a = Files.readAttributes(dest.resolve("etc/passwd"), "unix:mode,rdev", LinkOption.NOFOLLOW_LINKS);
        assertThat((Integer) a.get("mode") & 0170000).isEqualTo(0020000);
        assertThat(a.get("rdev")).isEqualTo(0L);
        assertThat(Libc.lgetxattr(dest.resolve("opt"), "trusted.overlay.opaque")).isEqualTo(new byte[]{'y'});
        assertThat(dest.resolve("etc/.wh.passwd")).doesNotExist();
        assertThat(dest.resolve("opt/.wh..wh..opq")).doesNotExist();
        assertOutsideUntouched();   // whiting out a symlink removed the link, not its target
        rejects(new Tar().symlink("d", outside.toString()).file("d/.wh.secret", "").bytes(), "d/.wh.secret", "is a symlink");
    }

    @Test void overlayXattrsFromTheArchiveAreIgnored() throws IOException {
        TarArchiveEntry e = new TarArchiveEntry("dir/");
        e.setMode(040755);
        e.addPaxHeader("SCHILY.xattr.trusted.overlay.opaque", "y");
        e.addPaxHeader("SCHILY.xattr.user.note", "hi");
        LayerExtractor.Result r = extract(new Tar().entry(e, null).bytes());
        assertThat(Libc.lgetxattr(dest.resolve("dir"), "trusted.overlay.opaque")).isNull();
        assertThat(Libc.lgetxattr(dest.resolve("dir"), "user.note")).isEqualTo("hi".getBytes());
        assertThat(r.skipped()).anyMatch(s -> s.contains("trusted.overlay.opaque"));
    }

    @Test void paxAndGnuLongNameTricks() throws IOException {
        // a PAX "path" record overriding a harmless ustar name
        TarArchiveEntry pax = new TarArchiveEntry("harmless");
        pax.addPaxHeader("path", "../outside/evil");
        pax.setSize(1);
        rejects(new Tar().entry(pax, new byte[]{'x'}).bytes(), "../outside/evil", "'..'");
        // a PAX "linkpath" pointing out for a symlink
        TarArchiveEntry link = new TarArchiveEntry("l", TarConstants.LF_SYMLINK);
        link.setLinkName("ok");
        link.addPaxHeader("linkpath", "../../outside");
        rejects(new Tar().entry(link, null).bytes(), "l", "points out of the root");
        // a GNU long name (././@LongLink) with '..' past 100 bytes
        org.apache.commons.compress.archivers.tar.TarArchiveOutputStream gnu;
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        gnu = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(b);
        gnu.setLongFileMode(org.apache.commons.compress.archivers.tar.TarArchiveOutputStream.LONGFILE_GNU);
        TarArchiveEntry longName = new TarArchiveEntry("a/".repeat(60) + "../".repeat(61) + "outside/evil", true);
        longName.setSize(1);
        gnu.putArchiveEntry(longName);
        gnu.write('x');
        gnu.closeArchiveEntry();
        gnu.close();
        rejects(b.toByteArray(), "outside/evil", "'..'");
    }

    @Test void absurdSize() throws IOException {
        byte[] t = new Tar().file("huge", "x").bytes();
        // size field (offset 124, 12 bytes) in base-256: 2^62 bytes; fix the header checksum
        Arrays.fill(t, 124, 136, (byte) 0);
        t[124] = (byte) 0x80;
        t[128] = 0x40;
        Arrays.fill(t, 148, 156, (byte) ' ');
        int sum = 0;
        for (int i = 0; i < 512; i++) sum += t[i] & 0xff;
        byte[] cs = String.format("%06o\0 ", sum).getBytes();
        System.arraycopy(cs, 0, t, 148, 8);
        assertThatThrownBy(() -> extract(t)).isInstanceOf(ImageException.UnsafeArchive.class).hasMessageContaining("entry ");
        assertThatThrownBy(() -> LayerExtractor.extract(new ByteArrayInputStream(new Tar().file("big", "0123456789").bytes()), dest,
                new LayerExtractor.Options(false, 5, 100, true))).hasMessageContaining("entry big: absurd size 10");
    }

    @Test void badHeaderChecksum() throws IOException {
        byte[] t = new Tar().file("a", "x").file("b", "y").bytes();
        t[1024 + 100] ^= 0x7f;   // second header's mode field
        assertThatThrownBy(() -> extract(t)).isInstanceOf(ImageException.UnsafeArchive.class).hasMessageContaining("corrupt");
    }

    @Test void truncatedTar() throws IOException {
        byte[] t = new Tar().file("a", "x".repeat(5000)).bytes();
        byte[] cut = Arrays.copyOf(t, 512 + 2000);
        assertThatThrownBy(() -> extract(cut)).isInstanceOf(ImageException.UnsafeArchive.class).hasMessageContaining("entry a");
    }

    @Test void truncatedAndCorruptGzip() throws IOException {
        byte[] gz = gzip(new Tar().file("a", "hello ".repeat(20000)).bytes());
        assertThatThrownBy(() -> extract(Arrays.copyOf(gz, gz.length / 2))).isInstanceOf(ImageException.UnsafeArchive.class)
                .hasMessageContaining("entry a");
        byte[] bad = gz.clone();
        bad[bad.length - 6] ^= 0x55;   // CRC in the trailer
        assertThatThrownBy(() -> extract(bad)).isInstanceOf(ImageException.UnsafeArchive.class).hasMessageContaining("corrupt");
    }

    @Test void truncatedAndCorruptZstd() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (ZstdOutputStream z = new ZstdOutputStream(b)) { z.setChecksum(true); z.write(new Tar().file("a", "zstd ".repeat(20000)).bytes()); }
        byte[] zs = b.toByteArray();
        LayerExtractor.Result ok = extract(zs);
        assertThat(dest.resolve("a")).hasSize(100000);
        assertThat(ok.entries()).isEqualTo(1);
        Path d2 = Files.createDirectories(tmp.resolve("d2"));
        assertThatThrownBy(() -> LayerExtractor.extract(new ByteArrayInputStream(Arrays.copyOf(zs, zs.length - 8)), d2, LayerExtractor.Options.DEFAULT))
                .isInstanceOf(ImageException.UnsafeArchive.class);
        byte[] bad = zs.clone();
        bad[bad.length / 2] ^= 0x55;
        Path d3 = Files.createDirectories(tmp.resolve("d3"));
        assertThatThrownBy(() -> LayerExtractor.extract(new ByteArrayInputStream(bad), d3, LayerExtractor.Options.DEFAULT))
                .isInstanceOf(ImageException.UnsafeArchive.class);
    }

    @Test void aFailedUnpackLeavesNoSnapshot() throws IOException {
        Store store = Store.open(tmp.resolve("root"));
        byte[] evil = gzip(new Tar().file("good", "x").symlink("l", outside.toString()).file("l/evil", "x").bytes());
        Digest d = store.putBlob(evil);
        SnapshotStore snaps = new SnapshotStore(store);
        Descriptor layer = Descriptor.of(MediaTypes.OCI_LAYER_GZIP, d, evil.length);
        assertThatThrownBy(() -> snaps.unpack(d, layer, null)).isInstanceOf(ImageException.UnsafeArchive.class).hasMessageContaining("l/evil");
        assertThat(snaps.list()).isEmpty();
        try (var ls = Files.list(tmp.resolve("root/snapshots/tmp"))) { assertThat(ls).isEmpty(); }
        assertOutsideUntouched();
    }

    @Test void diffIdMismatchLeavesNoSnapshot() throws IOException {
        Store store = Store.open(tmp.resolve("root"));
        byte[] t = new Tar().file("a", "x").bytes();
        Digest d = store.putBlob(t);
        SnapshotStore snaps = new SnapshotStore(store);
        Digest claimed = Digest.of(new byte[]{1});
        assertThatThrownBy(() -> snaps.unpack(claimed, Descriptor.of(MediaTypes.OCI_LAYER, d, t.length), claimed))
                .isInstanceOf(ImageException.DigestMismatch.class).hasMessageContaining("config says " + claimed);
        assertThat(snaps.list()).isEmpty();
    }

    @Test void laterEntriesReplaceEarlierOnes() throws IOException {
        extract(new Tar().dir("a").dir("a/b").file("a/b/f", "1").file("a", "now a file")
                .file("x", "old").hardlink("y", "x").file("x", "new").bytes());
        assertThat(Files.readString(dest.resolve("a"))).isEqualTo("now a file");
        assertThat(Files.readString(dest.resolve("x"))).isEqualTo("new");
        assertThat(Files.readString(dest.resolve("y"))).isEqualTo("old");   // the link kept the old inode
    }

    @Test void ordinaryLayerKeepsModesOwnersLinks() throws IOException {
        TarArchiveEntry suid = new TarArchiveEntry("bin/su");
        suid.setMode(0104755);
        suid.setSize(2);
        suid.setUserId(0);
        TarArchiveEntry owned = new TarArchiveEntry("home/u/f");
        owned.setSize(1);
        owned.setMode(0100600);
        owned.setUserId(1000);
        owned.setGroupId(1000);
        byte[] long1 = new byte[0];
        String longName = "deep/" + "x".repeat(200) + "/" + "y".repeat(200);
        LayerExtractor.Result r = extract(new Tar().dir("bin").entry(suid, "#!".getBytes()).entry(owned, "z".getBytes())
                .file(longName, "long").hardlink("bin/su2", "bin/su").bytes());
        assertThat(Files.readAttributes(dest.resolve("bin/su"), "unix:mode").get("mode")).isEqualTo(0104755);
        if (Libc.isRoot()) assertThat(Files.readAttributes(dest.resolve("home/u/f"), "unix:uid").get("uid")).isEqualTo(1000);
        assertThat(Files.readString(dest.resolve(longName))).isEqualTo("long");
        assertThat(Files.readAttributes(dest.resolve("bin/su2"), "unix:nlink").get("nlink")).isEqualTo(2);
        assertThat(r.diffId()).isNotNull();
        assertThat(long1).isEmpty();
    }

    static byte[] gzip(byte[] b) throws IOException {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(o)) { g.write(b); }
        return o.toByteArray();
    }
}
