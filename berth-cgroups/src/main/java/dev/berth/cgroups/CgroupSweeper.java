package dev.berth.cgroups;

import dev.berth.cgroups.fs.CgroupFiles;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Start-up cleanup: removes the cgroups under a parent (default {@code /berth}) whose container is
 * gone, in every hierarchy, if they hold no process. Those that still hold processes are reported,
 * never killed: a process outliving its container state needs a human (or {@code berth-runc delete --force}).
 *
 * <p>Removal is rmdir only (child cgroups first, deepest first): the kernel refuses a cgroup that
 * holds a process or a child, atomically, so nothing alive can be removed by a race with the checks.
 * Which containers are gone is the caller's {@link Claim}: berth's runtime reserves the id's state
 * directory (the same atomic mkdir a create makes before it makes any cgroup directory), so no
 * create of that id can start until the removal is over. A cgroup younger than {@code minAge} (in
 * every hierarchy) is left alone whatever the claim says: it may belong to a container being
 * created right now under another state root, which this process cannot see.
 */
public final class CgroupSweeper {
    private CgroupSweeper() {}

    /** The age under which berth's runtime leaves a cgroup alone (see the class comment). */
    public static final Duration DEFAULT_MIN_AGE = Duration.ofSeconds(10);

    public record Result(List<String> removed, List<String> busy, List<String> failed) {
        public boolean isEmpty() { return removed.isEmpty() && busy.isEmpty() && failed.isEmpty(); }
    }

    /** Decides whether a container id found under the parent is gone, and holds it while its cgroups are removed. */
    @FunctionalInterface
    public interface Claim {
        /**
         * null: the container is alive (or its id is being taken); otherwise a hold on the id, closed
         * after the removal attempt, during which no new container can take it.
         */
        AutoCloseable claim(String id) throws IOException;
    }

    /** No age rule and no hold: for callers that exclude concurrent creates themselves (and tests). */
    public static Result sweep(CgroupLayout layout, String parent, Predicate<String> alive) {
        return sweep(layout, parent, id -> alive.test(id) ? null : () -> { }, Duration.ZERO);
    }

    public static Result sweep(CgroupLayout layout, String parent, Claim claim, Duration minAge) {
        String rel = parent.startsWith("/") ? parent.substring(1) : parent;
        List<Path> mounts = new ArrayList<>();
        for (var h : layout.hierarchies()) mounts.add(h.mount());
        if (layout.unifiedMount() != null) mounts.add(layout.unifiedMount());
        TreeSet<String> names = new TreeSet<>();
        for (Path m : mounts) {
            Path dir = m.resolve(rel);
            // java.io's list: one native call for the names (no Path per entry): this runs on the
            // cold path, mostly interpreted, and a parent holds ~30 control files per hierarchy.
            // null: no parent here (pruned with its last container) or unreadable.
            String[] entries = dir.toFile().list();
            if (entries == null) continue;
            for (String name : entries)
                if (!controlFile(name) && !names.contains(name) && Files.isDirectory(dir.resolve(name), LinkOption.NOFOLLOW_LINKS)) names.add(name);
        }
        List<String> removed = new ArrayList<>(), busy = new ArrayList<>(), failed = new ArrayList<>();
        long now = System.currentTimeMillis();
        for (String id : names) {
            List<Path> dirs = new ArrayList<>();
            for (Path m : mounts) dirs.add(m.resolve(rel).resolve(id));
            try {
                if (youngerThan(dirs, minAge, now)) continue;
                try (AutoCloseable hold = claim.claim(id)) {
                    if (hold == null) continue;
                    if (hasProcesses(dirs)) {
                        busy.add(id);
                        continue;
                    }
                    boolean refused = false;
                    for (Path d : dirs) refused |= !removeTree(d, layout.fake());
                    (refused ? busy : removed).add(id);
                }
            } catch (Exception e) {
                failed.add(id + ": " + (e instanceof CgroupException ? e.getMessage() : CgroupException.reason(e)));
            }
        }
        return new Result(List.copyOf(removed), List.copyOf(busy), List.copyOf(failed));
    }

    private static final java.util.Set<String> CONTROLLERS = java.util.Set.of("cgroup", "memory", "cpu", "cpuacct", "cpuset",
            "blkio", "io", "pids", "devices", "freezer", "hugetlb", "net_cls", "net_prio", "rdma", "misc", "perf_event");

    /**
     * A cgroupfs control file by its name ({@code <controller>.<knob>}, or one of v1's three
     * without a dot): skipped without a stat (a parent holds ~30 of them per hierarchy). A container
     * whose id looks like one is not swept.
     */
    static boolean controlFile(String name) {
        int dot = name.indexOf('.');
        if (dot > 0) return CONTROLLERS.contains(name.substring(0, dot));
        return name.equals("tasks") || name.equals("notify_on_release") || name.equals("release_agent");
    }

    /**
     * True if every directory of the id is younger than {@code minAge}. The oldest counts: a v1
     * directory's mtime stays its creation time, but a v2 one's moves when a controller is enabled
     * in its parent (the kernel adds files to it).
     */
    private static boolean youngerThan(List<Path> dirs, Duration minAge, long now) throws IOException {
        if (minAge.isZero()) return false;
        for (Path d : dirs) {
            try {
                long mtime = Files.getLastModifiedTime(d, LinkOption.NOFOLLOW_LINKS).toMillis();
                if (now - mtime >= minAge.toMillis()) return false;
            } catch (NoSuchFileException e) {
                // not in this hierarchy
            }
        }
        return true;
    }

    private static boolean hasProcesses(List<Path> dirs) {
        for (Path d : dirs) if (!CgroupFiles.readPids(d.resolve("cgroup.procs")).isEmpty()) return true;
        return false;
    }

    /**
     * rmdir, and if the kernel says busy, the child cgroups first (deepest first) and rmdir again.
     * True if the directory is gone; false if a process (or a child holding one) keeps it.
     */
    private static boolean removeTree(Path dir, boolean fake) throws IOException {
        if (rmdir(dir, fake)) return true;
        boolean children = false;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) {
                if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) continue;
                children = true;
                if (!removeTree(p, fake)) return false;
            }
        } catch (NoSuchFileException e) {
            return true;
        }
        return children && rmdir(dir, fake);
    }

    /** One rmdir; false if the kernel refuses (EBUSY: processes or child cgroups). */
    private static boolean rmdir(Path dir, boolean fake) throws IOException {
        if (fake) {
            // a temp-dir stand-in: the control files are regular files the kernel would not need removed
            if (!CgroupFiles.readPids(dir.resolve("cgroup.procs")).isEmpty()) return false;
            try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
                for (Path p : s) if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) return false;
            } catch (NoSuchFileException e) {
                return true;
            }
            BaseManager.FakeTree.clear(dir);
        }
        try {
            Files.delete(dir);
            return true;
        } catch (NoSuchFileException e) {
            return true;
        } catch (DirectoryNotEmptyException e) {
            return false;
        } catch (FileSystemException e) {
            if (e.getReason() != null && e.getReason().contains("busy")) return false;
            throw e;
        }
    }
}
