package dev.berth.it;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Removes the cgroups a client made for the tests (e.g. containerd's per-namespace parent). */
final class Cgroups {
    private static final Path ROOT = Path.of("/sys/fs/cgroup");

    private Cgroups() {}

    /**
     * rmdir, deepest first, of {@code relative} in every hierarchy (v1 controllers, the named
     * systemd one, the unified one, or v2 itself). Fails naming what is left, e.g. a cgroup that
     * still holds a process.
     */
    static void removeTree(String relative) {
        String rel = relative.startsWith("/") ? relative.substring(1) : relative;
        List<Path> bases = new ArrayList<>();
        bases.add(ROOT);
        try (DirectoryStream<Path> hs = Files.newDirectoryStream(ROOT)) {
            for (Path h : hs) if (Files.isDirectory(h)) bases.add(h);
        } catch (IOException e) {
            return; // no cgroupfs: nothing to remove
        }
        List<String> left = new ArrayList<>();
        for (Path base : bases) {
            Path top = base.resolve(rel);
            if (!Files.isDirectory(top) || !Files.exists(top.resolve("cgroup.procs"))) continue;
            List<Path> dirs;
            try (Stream<Path> walk = Files.walk(top)) {
                dirs = walk.filter(Files::isDirectory).sorted(Comparator.reverseOrder()).toList();
            } catch (IOException e) {
                left.add(top + " (" + e.getMessage() + ")");
                continue;
            }
            for (Path d : dirs) {
                try {
                    Files.delete(d);
                } catch (IOException e) {
                    left.add(d + " (" + e.getMessage() + ")");
                }
            }
        }
        if (!left.isEmpty()) throw new AssertionError("cgroups left behind: " + left);
    }
}
