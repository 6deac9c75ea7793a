package dev.berth.cgroups.fs;

import java.nio.file.Files;
import java.nio.file.Path;

/** A container's directory in one hierarchy, with the hierarchy's mount point (for parent look-ups). */
public record CgroupDir(Path mount, Path dir) {
    public Path file(String name) { return dir.resolve(name); }

    public boolean has(String name) { return Files.exists(dir.resolve(name)); }

    /** The file in the nearest existing ancestor of this dir (not the dir itself), up to the mount. */
    public Path ancestorFile(String name) {
        Path p = dir.getParent();
        while (p != null && p.startsWith(mount)) {
            Path f = p.resolve(name);
            if (Files.exists(f)) return f;
            p = p.getParent();
        }
        return mount.resolve(name);
    }
}
