package dev.berth.cli.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Containers through bin/berth-runc with a state root of this run's own, deleted at the end. */
public final class Containers {
    private final Context ctx;
    public final Path root;

    public Containers(Context ctx, String name) {
        this.ctx = ctx;
        this.root = ctx.work.resolve("state-" + name);
        ctx.onClose(this::deleteAll);
    }

    /** The argv of {@code berth-runc --root R ARGS...}. */
    public List<String> argv(String... args) {
        List<String> c = new ArrayList<>(List.of(ctx.berthRunc(), "--root", root.toString()));
        c.addAll(List.of(args));
        return c;
    }

    /** Runs the bundle's process in a new container (deleted on exit) and returns what it printed. */
    public Proc.Result run(Path bundle, long timeoutSeconds) {
        return Proc.run(timeoutSeconds, argv("run", "--bundle", bundle.toString(), ctx.name("c"))).check();
    }

    /** Starts a detached container; returns its id. */
    public String runDetached(Path bundle, String id) {
        Proc.run(60, argv("run", "-d", "--bundle", bundle.toString(), id)).check();
        return id;
    }

    /**
     * The pid of a running container's init: from its cgroup (berth's default /berth/ID, pids
     * hierarchy or unified) when that holds one process, else from {@code state} (a JVM start).
     */
    public long pid(String id) {
        for (String f : List.of("/sys/fs/cgroup/pids/berth/" + id + "/cgroup.procs", "/sys/fs/cgroup/berth/" + id + "/cgroup.procs")) {
            try {
                List<String> l = java.nio.file.Files.readAllLines(Path.of(f)).stream().filter(s -> !s.isBlank()).toList();
                if (l.size() == 1) return Long.parseLong(l.get(0).strip());
            } catch (java.io.IOException | NumberFormatException e) { /* next */ }
        }
        return statePid(id);
    }

    long statePid(String id) {
        String s = Proc.run(60, argv("state", id)).check().out();
        try {
            return Bundles.JSON.readTree(s).get("pid").asLong();
        } catch (java.io.IOException | NullPointerException e) {
            throw new BenchException("state " + id + ": no pid in " + s);
        }
    }

    public void delete(String id) { Proc.run(60, argv("delete", "--force", id)); }

    void deleteAll() {
        if (!java.nio.file.Files.isDirectory(root)) return;
        Proc.Result l = Proc.run(120, argv("list", "-q"));
        for (String id : l.out().split("\\s+")) if (!id.isBlank()) delete(id);
    }
}
