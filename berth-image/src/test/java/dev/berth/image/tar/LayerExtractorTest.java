package dev.berth.image.tar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.image.TestSupport.Tar;
import dev.berth.image.api.ImageException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The extractor works through directory descriptors (openat relative to the parent, cached per
 * directory) and skips chown/chmod where creation already gave the right owner and mode: these
 * check that modes, owners and times still come out as the archive says, that the descriptor cache
 * never writes into a replaced directory or leaks, and that directory times set at the end never
 * go through a symlink a later entry put in place.
 */
class LayerExtractorTest {
    @TempDir Path tmp;
    Path dest;
    Path outside;
    static final Instant T1 = Instant.parse("2001-02-03T04:05:06Z");
    static final Instant T2 = Instant.parse("2011-12-13T14:15:16Z");

    @BeforeEach void setUp() throws IOException {
        dest = Files.createDirectories(tmp.resolve("dest"));
        outside = Files.createDirectories(tmp.resolve("outside"));
        Files.createDirectories(outside.resolve("b"));
        Files.setLastModifiedTime(outside, FileTime.from(T2));
        Files.setLastModifiedTime(outside.resolve("b"), FileTime.from(T2));
    }

    private LayerExtractor.Result extract(byte[] tar) {
        return LayerExtractor.extract(new ByteArrayInputStream(tar), dest, LayerExtractor.Options.DEFAULT);
    }

    private static TarArchiveEntry entry(String name, int mode, Instant mtime, int size) {
        TarArchiveEntry e = new TarArchiveEntry(name, true);
        e.setMode(mode);
        e.setModTime(java.util.Date.from(mtime));
        e.setSize(size);
        return e;
    }

    private static int mode(Path p) throws IOException { return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777; }
    private static Instant mtime(Path p) throws IOException { return Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toInstant(); }

    private static long openFds() throws IOException {
        try (var s = Files.list(Path.of("/proc/self/fd"))) { return s.count(); }
    }

    @Test void modesOwnersAndTimesAsInTheArchive() throws IOException {
        TarArchiveEntry owned = entry("d/owned", 0640, T1, 1);
        owned.setUserId(1234);
        owned.setGroupId(5678);
        TarArchiveEntry sgid = entry("d/sgid", 02755, T1, 1);
        sgid.setUserId(1234);
        sgid.setGroupId(5678);
        TarArchiveEntry link = new TarArchiveEntry("d/link", org.apache.commons.compress.archivers.tar.TarConstants.LF_SYMLINK);
        link.setLinkName("plain");
        link.setModTime(java.util.Date.from(T1));
        extract(new Tar().entry(entry("d/", 040750, T2, 0), null)
                .entry(entry("d/plain", 0644, T1, 2), "hi".getBytes())
                .entry(entry("d/private", 0600, T1, 1), "p".getBytes())
                .entry(entry("d/exec", 0755, T1, 1), "x".getBytes())
                .entry(entry("d/readonly", 0444, T1, 1), "r".getBytes())
                .entry(owned, "o".getBytes())
                .entry(sgid, "s".getBytes())
                .entry(link, null)
                .entry(entry("tmp/", 041777, T1, 0), null)
                .entry(entry("implicit/sub/f", 0644, T1, 1), "i".getBytes())
                .bytes());
        assertThat(Files.readString(dest.resolve("d/plain"))).isEqualTo("hi");
        assertThat(mode(dest.resolve("d/plain"))).isEqualTo(0644);
        assertThat(mode(dest.resolve("d/private"))).isEqualTo(0600);
        assertThat(mode(dest.resolve("d/exec"))).isEqualTo(0755);
        assertThat(mode(dest.resolve("d/readonly"))).isEqualTo(0444);
        assertThat(mode(dest.resolve("d/owned"))).isEqualTo(0640);
        assertThat(mode(dest.resolve("d"))).isEqualTo(0750);
        assertThat(mode(dest.resolve("tmp"))).isEqualTo(01777);
        if (Libc.isRoot()) {
            assertThat(Files.getAttribute(dest.resolve("d/owned"), "unix:uid")).isEqualTo(1234);
            assertThat(Files.getAttribute(dest.resolve("d/owned"), "unix:gid")).isEqualTo(5678);
            assertThat(Files.getAttribute(dest.resolve("d/plain"), "unix:uid")).isEqualTo(0);
            // chown clears set-id bits: the mode is set after the owner
            assertThat(mode(dest.resolve("d/sgid"))).isEqualTo(02755);
        }
        assertThat(mtime(dest.resolve("d/plain"))).isEqualTo(T1);
        assertThat(mtime(dest.resolve("d/link"))).isEqualTo(T1);
        assertThat(Files.readSymbolicLink(dest.resolve("d/link")).toString()).isEqualTo("plain");
        // a directory's own time wins although files were made in it after its entry
        assertThat(mtime(dest.resolve("d"))).isEqualTo(T2);
        assertThat(mtime(dest.resolve("tmp"))).isEqualTo(T1);
        assertThat(dest.resolve("implicit/sub/f")).hasContent("i");
    }

    @Test void directoryTimesAreNeverSetThroughASymlinkALaterEntryMade() throws IOException {
        // a/ and a/b/ get their times at the end; by then a is a symlink to the host's outside/
        extract(new Tar().entry(entry("a/", 040755, T1, 0), null).entry(entry("a/b/", 040755, T1, 0), null)
                .symlink("a", outside.toString()).bytes());
        assertThat(Files.isSymbolicLink(dest.resolve("a"))).isTrue();
        assertThat(mtime(outside)).isEqualTo(T2);
        assertThat(mtime(outside.resolve("b"))).isEqualTo(T2);
    }

    @Test void replacedDirectoryIsNotWrittenThroughItsOldDescriptor() throws IOException {
        extract(new Tar().dir("a").file("a/x", "old").file("a", "now a file").dir("a").file("a/y", "new")
                .dir("p/q").file("p/q/1", "1").symlink("p", "elsewhere").dir("p").file("p/q/2", "2").bytes());
        assertThat(dest.resolve("a")).isDirectory();
        assertThat(dest.resolve("a/y")).hasContent("new");
        assertThat(dest.resolve("a/x")).doesNotExist();
        assertThat(dest.resolve("p/q/2")).hasContent("2");
        assertThat(dest.resolve("p/q/1")).doesNotExist();
    }

    @Test void manyAndDeepDirectoriesBeyondTheDescriptorCacheLeakNothing() throws IOException {
        long before = openFds();
        Tar t = new Tar();
        for (int i = 0; i < 300; i++) t.file("many/d" + i + "/f", "first " + i);
        for (int i = 0; i < 300; i += 7) t.file("many/d" + i + "/g", "again " + i);   // revisits evicted directories
        String deep = "deep/" + "x/".repeat(200);
        t.file(deep + "bottom", "down here");
        t.hardlink("many/d0/h", deep + "bottom");
        extract(t.bytes());
        assertThat(dest.resolve("many/d299/f")).hasContent("first 299");
        assertThat(dest.resolve("many/d0/g")).hasContent("again 0");
        assertThat(dest.resolve("many/d294/g")).hasContent("again 294");
        assertThat(dest.resolve(deep + "bottom")).hasContent("down here");
        assertThat(Files.getAttribute(dest.resolve("many/d0/h"), "unix:nlink")).isEqualTo(2);
        assertThat(openFds()).isEqualTo(before);
    }

    @Test void aFailedExtractionClosesItsDescriptors() throws IOException {
        long before = openFds();
        Tar t = new Tar();
        for (int i = 0; i < 50; i++) t.file("d" + i + "/f", "x");
        byte[] bad = t.symlink("l", outside.toString()).file("l/evil", "x").bytes();
        assertThatThrownBy(() -> extract(bad)).isInstanceOf(ImageException.UnsafeArchive.class).hasMessageContaining("is a symlink (not followed)");
        assertThat(openFds()).isEqualTo(before);
        assertThat(outside.resolve("evil")).doesNotExist();
    }

    @Test void fileUnderARegularFileIsRefused() throws IOException {
        assertThatThrownBy(() -> extract(new Tar().file("f", "x").file("f/g", "y").bytes()))
                .isInstanceOf(ImageException.UnsafeArchive.class).hasMessageContaining("path component f is not a directory");
    }
}
