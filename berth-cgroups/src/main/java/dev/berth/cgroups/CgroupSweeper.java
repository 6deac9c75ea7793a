package dev.berth.cgroups;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Start-up cleanup: removes the cgroups under a parent (default {@code /berth}) whose container is
 * gone, in every hierarchy, if they hold no process. Those that still hold processes are reported,
 * not killed: a process outliving its container state needs a human (or {@code berth-runc delete --force}).
 */
public final class CgroupSweeper {
    private CgroupSweeper() {}

    public record Result(List<String> removed, List<String> busy, List<String> failed) {}

    /** On this host, under {@code /berth}. */
    public static Result sweep(Predicate<String> alive) {
        return sweep(CgroupManagers.hostLayout(), "/berth", alive);
    }

    public static Result sweep(CgroupLayout layout, String parent, Predicate<String> alive) {
        TreeSet<String> names = new TreeSet<>();
        String rel = parent.startsWith("/") ? parent.substring(1) : parent;
        List<Path> mounts = new ArrayList<>();
        for (var h : layout.hierarchies()) mounts.add(h.mount());
        if (layout.unifiedMount() != null) mounts.add(layout.unifiedMount());
        for (Path m : mounts) {
            Path dir = m.resolve(rel);
            if (!Files.isDirectory(dir)) continue;
            try (Stream<Path> s = Files.list(dir)) {
                s.filter(Files::isDirectory).forEach(p -> names.add(p.getFileName().toString()));
            } catch (IOException e) {
                throw CgroupException.io("list", dir, e);
            }
        }
        List<String> removed = new ArrayList<>(), busy = new ArrayList<>(), failed = new ArrayList<>();
        for (String id : names) {
            if (alive.test(id)) continue;
            CgroupManager m = CgroupManagers.open("/" + rel + "/" + id, id, layout);
            if (!m.pids().isEmpty()) {
                busy.add(id);
                continue;
            }
            try {
                m.destroy();
                removed.add(id);
            } catch (CgroupException e) {
                failed.add(id + ": " + e.getMessage());
            }
        }
        return new Result(List.copyOf(removed), List.copyOf(busy), List.copyOf(failed));
    }
}
