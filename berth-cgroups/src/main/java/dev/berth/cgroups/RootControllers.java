package dev.berth.cgroups;

import dev.berth.cgroups.fs.CgroupFiles;

import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The controllers a cgroup2 root offers ({@code cgroup.controllers} of the mount), read once per
 * mount and process on a real host: they change only when a v1 hierarchy is mounted or unmounted,
 * which also invalidates the layout this process detected once. Read every time on a fake tree
 * (tests change it).
 */
final class RootControllers {
    private RootControllers() {}

    private static final ConcurrentHashMap<Path, Set<String>> CACHE = new ConcurrentHashMap<>();

    /** null if the mount has no cgroup.controllers. */
    static Set<String> of(Path mount, boolean fake) {
        if (fake) return read(mount);
        Set<String> s = CACHE.get(mount);
        if (s == null) {
            s = read(mount);
            if (s != null) CACHE.put(mount, s);
        }
        return s;
    }

    private static Set<String> read(Path mount) {
        String s = CgroupFiles.readOrNull(mount.resolve("cgroup.controllers"));
        if (s == null) return null;
        return s.isBlank() ? Set.of() : Set.of(s.trim().split(" +"));
    }
}
