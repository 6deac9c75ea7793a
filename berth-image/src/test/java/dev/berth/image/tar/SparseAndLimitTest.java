package dev.berth.image.tar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.image.Images;
import dev.berth.image.TestSupport;
import dev.berth.image.TestSupport.Tar;
import dev.berth.image.api.Descriptor;
import dev.berth.image.api.Digest;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.MediaTypes;
import dev.berth.image.snapshot.SnapshotStore;
import dev.berth.image.store.Store;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Sparse entries keep their holes (issue 9, Medium 5), in every sparse form commons-compress reads
 * (built by GNU tar from sparse files: old GNU, PAX 0.0, 0.1, 1.0); what one layer may write is
 * bounded by a limit ($BERTH_MAX_LAYER_SIZE), an error naming the layer and the limit that leaves
 * nothing behind.
 */
class SparseAndLimitTest {
    @TempDir Path tmp;
    Path dest;

    @BeforeEach void setUp() throws IOException { dest = Files.createDirectories(tmp.resolve("dest")); }

    /** A sparse file of {@code size}: "head" at 0, "middle" at size/2, a hole up to the end. */
    private Path sparseFile(Path p, long size) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(size);
            f.write("head".getBytes());
            f.seek(size / 2);
            f.write("middle".getBytes());
        }
        return p;
    }

    /** GNU tar of the files in {@code dir}, in {@code format}: "gnu" (old GNU sparse) or "0.0", "0.1", "1.0" (PAX). */
    private byte[] gnuTar(Path dir, String format) throws Exception {
        Path out = tmp.resolve("sparse-" + format + ".tar");
        if (format.equals("gnu")) TestSupport.run(dir, "tar", "--sparse", "--format=gnu", "-cf", out.toString(), ".");
        else TestSupport.run(dir, "tar", "--sparse", "--format=posix", "--sparse-version=" + format, "-cf", out.toString(), ".");
        return Files.readAllBytes(out);
    }

    private static long allocated(Path p) throws Exception {
        return Long.parseLong(TestSupport.run(null, "stat", "-c", "%b", p.toString()).strip()) * 512;
    }

    private static String at(Path p, long off, int len) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "r")) {
            byte[] b = new byte[len];
            f.seek(off);
            f.readFully(b);
            return new String(b);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gnu", "0.0", "0.1", "1.0"})
    void aSparseEntryOf1GiBKeepsItsHoles(String format) throws Exception {
        Path src = Files.createDirectories(tmp.resolve("src"));
        sparseFile(src.resolve("big"), 1L << 30);
        byte[] tar = gnuTar(src, format);
        assertThat(tar.length).isLessThan(64 * 1024);

        LayerExtractor.Result r = LayerExtractor.extract(new ByteArrayInputStream(tar), dest, LayerExtractor.Options.DEFAULT);
        Path big = dest.resolve("big");
        assertThat(Files.size(big)).isEqualTo(1L << 30);
        assertThat(allocated(big)).as("bytes allocated").isLessThan(1 << 20);
        assertThat(at(big, 0, 4)).isEqualTo("head");
        assertThat(at(big, (1L << 29), 6)).isEqualTo("middle");
        assertThat(at(big, (1L << 29) - 4, 4)).isEqualTo("\0\0\0\0");
        assertThat(at(big, (1L << 30) - 4, 4)).isEqualTo("\0\0\0\0");
        assertThat(r.bytes()).isLessThan(1 << 20);   // data written, not the apparent size
    }

    @Test void tenSparseEntriesOf2GiBFromA10KiBLayerTakeNoSpace() throws Exception {
        Path src = Files.createDirectories(tmp.resolve("src"));
        for (int i = 0; i < 10; i++) sparseFile(src.resolve("f" + i), 2L << 30);
        byte[] tar = gnuTar(src, "gnu");   // commons-compress 1.28 reads PAX sparse sizes as int: < 2 GiB only
        assertThat(tar.length).isLessThan(128 * 1024);
        LayerExtractor.extract(new ByteArrayInputStream(tar), dest, LayerExtractor.Options.DEFAULT);
        long used = 0;
        try (Stream<Path> s = Files.list(dest)) {
            for (Path p : s.toList()) {
                assertThat(Files.size(p)).isEqualTo(2L << 30);
                used += allocated(p);
            }
        }
        assertThat(used).isLessThan(10 << 20);
    }

    @Test void an8GiBHoleIsPassedOverNotRead() throws Exception {
        Path src = Files.createDirectories(tmp.resolve("src"));
        long size = (8L << 30) - 1;   // the largest old GNU sparse size commons-compress 1.28 reads
        sparseFile(src.resolve("lastlog"), size);
        byte[] tar = gnuTar(src, "gnu");
        long t0 = System.nanoTime();
        LayerExtractor.extract(new ByteArrayInputStream(tar), dest, LayerExtractor.Options.DEFAULT);
        assertThat((System.nanoTime() - t0) / 1_000_000).as("ms").isLessThan(20_000);
        assertThat(Files.size(dest.resolve("lastlog"))).isEqualTo(size);
        assertThat(at(dest.resolve("lastlog"), size / 2, 6)).isEqualTo("middle");
        assertThat(allocated(dest.resolve("lastlog"))).isLessThan(1 << 20);
    }

    @Test void sparseEntriesTheReaderCannotParseAreRefusedCleanly() throws Exception {
        Path src = Files.createDirectories(tmp.resolve("src"));
        sparseFile(src.resolve("huge"), 1L << 40);
        byte[] tar = gnuTar(src, "1.0");
        assertThatThrownBy(() -> LayerExtractor.extract(new ByteArrayInputStream(tar), dest, LayerExtractor.Options.DEFAULT))
                .isInstanceOf(ImageException.UnsafeArchive.class).hasMessageContaining("corrupt or truncated archive");
        assertThat(dest.resolve("huge")).doesNotExist();
    }

    @Test void aSparseMapClaimingMoreDataThanTheEntryHoldsIsRefused() throws Exception {
        // PAX 0.1: 4 stored bytes, a map claiming 1 MiB of data, then an entry whose bytes it would read
        byte[] pax = (LayerWriter.record("GNU.sparse.major", "0") + LayerWriter.record("GNU.sparse.minor", "1")
                + LayerWriter.record("GNU.sparse.name", "big") + LayerWriter.record("GNU.sparse.size", "1048576")
                + LayerWriter.record("GNU.sparse.map", "0,1048576")).getBytes();
        var x = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("PaxHeaders/big",
                org.apache.commons.compress.archivers.tar.TarConstants.LF_PAX_EXTENDED_HEADER_LC);
        x.setSize(pax.length);
        x.setModTime(0);   // whole seconds: no PAX header of commons-compress's own before this one
        var big = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("big");
        big.setSize(4);
        big.setModTime(0);
        byte[] tar = new Tar().entry(x, pax).entry(big, "abcd".getBytes()).file("next", "x".repeat(4096)).bytes();
        assertThatThrownBy(() -> LayerExtractor.extract(new ByteArrayInputStream(tar), dest, LayerExtractor.Options.DEFAULT))
                .isInstanceOf(ImageException.UnsafeArchive.class).hasMessageContaining("entry big: corrupt sparse map");
    }

    @Test void theLayerLimitCountsDataWrittenAndNamesTheLayerAndTheLimit() throws Exception {
        Path root = tmp.resolve("root");
        Images images = Images.open(root);   // a store to unpack into
        Store store = images.store();
        SnapshotStore limited = new SnapshotStore(store, LayerExtractor.Options.DEFAULT.withMaxTotalSize(1 << 20));

        byte[] two = new Tar().file("a", "x".repeat(600 << 10)).file("b", "y".repeat(600 << 10)).bytes();
        Digest d = store.putBlob(two);
        Descriptor layer = Descriptor.of(MediaTypes.OCI_LAYER, d, two.length);
        assertThatThrownBy(() -> limited.unpack(d, layer, d))
                .isInstanceOf(ImageException.UnsafeArchive.class)
                .hasMessageContaining("layer " + d)
                .hasMessageContaining("entry b")
                .hasMessageContaining("1 MiB (1048576 bytes)")
                .hasMessageContaining("BERTH_MAX_LAYER_SIZE");
        try (Stream<Path> s = Files.list(root.resolve("snapshots/tmp"))) { assertThat(s.toList()).isEmpty(); }
        assertThat(limited.has(d)).isFalse();

        // holes do not count: a 1 GiB sparse file with a few bytes of data is within 1 MiB
        Path src = Files.createDirectories(tmp.resolve("src"));
        sparseFile(src.resolve("big"), 1L << 30);
        byte[] sparse = gnuTar(src, "1.0");
        Digest s = store.putBlob(sparse);
        Path fs = limited.unpack(s, Descriptor.of(MediaTypes.OCI_LAYER, s, sparse.length), s);
        assertThat(Files.size(fs.resolve("big"))).isEqualTo(1L << 30);
        assertThat(Files.exists(fs.resolve("big"), LinkOption.NOFOLLOW_LINKS)).isTrue();
    }

    @Test void sizesOfTheLimit() {
        assertThat(LayerExtractor.Options.parseSize("X", "64g")).isEqualTo(64L << 30);
        assertThat(LayerExtractor.Options.parseSize("X", "512MiB")).isEqualTo(512L << 20);
        assertThat(LayerExtractor.Options.parseSize("X", "1000")).isEqualTo(1000);
        assertThat(LayerExtractor.Options.parseSize("X", "2T")).isEqualTo(2L << 40);
        assertThatThrownBy(() -> LayerExtractor.Options.parseSize("BERTH_MAX_LAYER_SIZE", "lots"))
                .isInstanceOf(ImageException.InvalidReference.class).hasMessageContaining("BERTH_MAX_LAYER_SIZE=lots: not a size");
        assertThatThrownBy(() -> LayerExtractor.Options.parseSize("X", "99999999999t")).hasMessageContaining("too large");
        assertThat(LayerExtractor.Options.DEFAULT.maxTotalSize()).isEqualTo(64L << 30);
    }
}
