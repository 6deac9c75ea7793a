package dev.berth.image.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.berth.image.api.ImageException;
import dev.berth.image.tar.LayerExtractor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes {@link LayerExtractor} (tar, tar+gzip, tar+zstd; pax, GNU long names, sparse entries,
 * links, whiteouts, xattrs) with raw layer bytes, extracting into a fresh directory each time. For
 * every input: extraction succeeds or fails with an {@link ImageException} (anything else, a hang
 * or an OutOfMemoryError is a finding), nothing appears outside the extraction root, and the tree
 * it leaves has no symlink whose relative target climbs out of the root.
 *
 * <p>The root is {@code target/fuzz-tar/d1/.../d8/root} (cwd is the module directory), so names
 * climbing up to 8 levels, and absolute symlinks to {@code /proc/self/cwd/target/fuzz-tar/outside}
 * (some seeds have them), would land in a directory this test checks.
 */
@Tag("fuzz-tar")
class TarFuzzTest {
    static final Path SANDBOX = Path.of("target/fuzz-tar").toAbsolutePath();
    static final List<String> CHAIN = List.of("d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8");
    /** Production limits are 1 TiB per entry and 64 GiB of data per layer; these keep a fuzzing run's disk use small. */
    static final LayerExtractor.Options OPTIONS = new LayerExtractor.Options(false, 16L << 20, 64L << 20, true);

    @FuzzTest
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void extract(byte[] layer) throws IOException {
        Path root = freshRoot();
        try {
            LayerExtractor.Result r = LayerExtractor.extract(new ByteArrayInputStream(layer), root, OPTIONS);
            assertThat(r.diffId()).isNotNull();
        } catch (ImageException e) {
            assertThat(e.getMessage()).isNotBlank();
        }
        assertNothingOutside();
        assertNoEscapingSymlink(root);
    }

    static Path freshRoot() throws IOException {
        Path dir = SANDBOX;
        for (String d : CHAIN) dir = dir.resolve(d);
        Path root = dir.resolve("root");
        if (Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) delete(root);
        Files.createDirectories(SANDBOX.resolve("outside"));
        return Files.createDirectories(root);
    }

    static void assertNothingOutside() throws IOException {
        Path dir = SANDBOX;
        assertThat(names(dir)).containsExactlyInAnyOrder("d1", "outside");
        assertThat(names(dir.resolve("outside"))).isEmpty();
        for (int i = 0; i < CHAIN.size(); i++) {
            dir = dir.resolve(CHAIN.get(i));
            assertThat(names(dir)).containsExactly(i + 1 < CHAIN.size() ? CHAIN.get(i + 1) : "root");
        }
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) { return s.map(p -> p.getFileName().toString()).toList(); }
    }

    /** Relative symlink targets must stay inside the root (absolute ones are rooted at run time). */
    static void assertNoEscapingSymlink(Path root) throws IOException {
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                    if (a.isSymbolicLink()) {
                        Path target = Files.readSymbolicLink(f);
                        if (!target.isAbsolute() && !f.getParent().resolve(target).normalize().startsWith(root))
                            throw new AssertionError("symlink " + root.relativize(f) + " -> " + target + " points out of the root");
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (FileSystemException e) {
            // a tree deeper than PATH_MAX cannot be walked by path; what is outside was checked above
            if (e.getReason() == null || !e.getReason().contains("File name too long")) throw e;
        }
    }

    /** Deletes a tree; one deeper than PATH_MAX (which the Java file API cannot reach) with rm. */
    static void delete(Path p) throws IOException {
        try {
            Files.walkFileTree(p, new SimpleFileVisitor<>() {
                @Override public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                    Files.delete(f);
                    return FileVisitResult.CONTINUE;
                }
                @Override public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    if (e != null) throw e;
                    Files.delete(d);
                    return FileVisitResult.CONTINUE;
                }
            });
            return;
        } catch (FileSystemException e) {
            // too deep for paths: rm below
        }
        try {
            Process rm = new ProcessBuilder("rm", "-rf", "--one-file-system", "--", p.toString()).inheritIO().start();
            if (!rm.waitFor(60, TimeUnit.SECONDS) || rm.exitValue() != 0) throw new IOException("rm -rf " + p + " failed");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UncheckedIOException(new IOException("interrupted", e));
        }
    }
}
