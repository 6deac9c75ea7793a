package dev.berth.cgroups;

import dev.berth.cgroups.fs.CgroupDir;
import dev.berth.cgroups.fs.CgroupFiles;
import dev.berth.cgroups.fs.Controller;
import dev.berth.cgroups.fs.Freezer;
import dev.berth.cgroups.fs.Journal;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.FileSystemException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * What the three backends share: a list of hierarchies, each a directory with its controllers.
 * The backends differ in which hierarchies and controllers they build, and in how a unified
 * hierarchy gets its controllers (subtree_control along the path).
 */
abstract sealed class BaseManager implements CgroupManager permits V1Manager, HybridManager, V2Manager {

    /** One hierarchy's directory for this container. */
    record Hier(CgroupDir d, List<Controller> controllers, boolean unified) {}

    private final Layout kind;
    private final String path;
    protected final List<Hier> hiers;
    private final boolean fake;
    private final List<Path> paths;
    /** destroy's order: the freezer hierarchy last, so it is still there to freeze what is left. */
    private final List<Hier> destroyOrder;

    BaseManager(Layout kind, String path, List<Hier> hiers, boolean fake) {
        this.kind = kind;
        this.path = path;
        this.hiers = List.copyOf(hiers);
        this.fake = fake;
        List<Path> ps = new ArrayList<>(hiers.size());
        List<Hier> first = new ArrayList<>(hiers.size()), last = new ArrayList<>(1);
        for (Hier h : hiers) {
            ps.add(h.d().dir());
            boolean freezer = false;
            for (Controller c : h.controllers()) freezer |= c instanceof Freezer;
            (freezer ? last : first).add(h);
        }
        first.addAll(last);
        this.paths = List.copyOf(ps);
        this.destroyOrder = List.copyOf(first);
    }

    @Override public Layout layout() { return kind; }
    @Override public String cgroupPath() { return path; }

    @Override
    public List<Path> paths() {
        return paths;
    }

    /** Checks nothing in {@code r} needs a controller this layout lacks; throws naming the field. */
    protected void checkSupported(Resources r) {
        if (r.unified() != null && !r.unified().isEmpty() && hiers.stream().noneMatch(Hier::unified))
            throw CgroupException.badValue("unified", r.unified().keySet().iterator().next(), "needs a cgroup v2 mount (this host has v1 only)");
        if (r.hugepageLimits() != null && !r.hugepageLimits().isEmpty() && !has("hugetlb"))
            throw CgroupException.badValue("hugepageLimits", r.hugepageLimits().getFirst().pageSize(), "no hugetlb controller on this host");
        if (r.rdma() != null && !r.rdma().isEmpty() && !has("rdma"))
            throw CgroupException.badValue("rdma", r.rdma().keySet().iterator().next(), "no rdma controller on this host");
    }

    private boolean has(String controller) {
        return hiers.stream().anyMatch(h -> h.controllers().stream().anyMatch(c -> c.name().equals(controller)));
    }

    @Override
    public void create(Resources r) {
        if (r == null) r = Resources.EMPTY;
        ResourcesValidator.validate(r);
        checkSupported(r);
        List<Path> created = new ArrayList<>();
        List<Boolean> fresh = new ArrayList<>();
        Journal undo = new Journal();
        try {
            for (Hier h : hiers) fresh.add(mkdirs(h, created));
            for (int i = 0; i < hiers.size(); i++)
                for (Controller c : hiers.get(i).controllers())
                    if (fresh.get(i)) c.validateNew(hiers.get(i).d(), r); else c.validate(hiers.get(i).d(), r);
            // a directory made here is removed on failure: no need to read old values (the fast path);
            // one that already existed (a retried create) is restored value by value
            Journal fast = Journal.forNewCgroup();
            for (int i = 0; i < hiers.size(); i++)
                for (Controller c : hiers.get(i).controllers()) c.apply(hiers.get(i).d(), r, fresh.get(i) ? fast : undo);
        } catch (RuntimeException e) {
            undo.rollback(e);
            Collections.reverse(created);
            for (Path p : created) {
                try {
                    rmdir(p);
                } catch (RuntimeException x) {
                    e.addSuppressed(x);
                }
            }
            throw e;
        }
    }

    /** Creates the directory (and parents); true if the leaf was created by this call. */
    private boolean mkdirs(Hier h, List<Path> created) {
        Path mount = h.d().mount();
        if (!fake) {
            // fast path: the parent usually exists already
            try {
                Files.createDirectory(h.d().dir());
                created.add(h.d().dir());
                if (h.unified()) ensureEnabled(h);
                for (Controller c : h.controllers()) c.created(h.d());
                return true;
            } catch (java.nio.file.FileAlreadyExistsException e) {
                if (h.unified()) ensureEnabled(h);
                return false;
            } catch (NoSuchFileException e) {
                // walk down from the mount
            } catch (IOException e) {
                throw CgroupException.io("mkdir", h.d().dir(), e);
            }
        }
        Path rel = mount.relativize(h.d().dir());
        Path p = mount;
        int restarts = 0;
        for (var it = rel.iterator(); it.hasNext(); ) {
            Path name = it.next();
            if (h.unified()) enableControllers(h, p);
            p = p.resolve(name);
            if (Files.isDirectory(p)) continue;
            try {
                Files.createDirectory(p);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                continue;
            } catch (NoSuchFileException e) {
                // An empty parent was pruned meanwhile (another container's delete): walk again.
                if (restarts++ >= 3) throw CgroupException.io("mkdir", p, e);
                it = rel.iterator();
                p = mount;
                continue;
            } catch (IOException e) {
                throw CgroupException.io("mkdir", p, e);
            }
            created.add(p);
            if (fake) FakeTree.populate(mount, p, h.unified());
            CgroupDir d = new CgroupDir(mount, p);
            for (Controller c : h.controllers()) c.created(d);
        }
        return !created.isEmpty() && created.getLast().equals(h.d().dir());
    }

    /** The leaf exists: make sure it got every controller we drive that the root offers (one read when it did). */
    private void ensureEnabled(Hier h) {
        Set<String> root = RootControllers.of(h.d().mount(), fake);
        if (root == null) return;
        String leafHas = CgroupFiles.readOrNull(h.d().file("cgroup.controllers"));
        if (leafHas == null) return;
        Set<String> leaf = Set.of(leafHas.split(" "));
        boolean missing = false;
        for (Controller c : h.controllers()) if (root.contains(c.name()) && !leaf.contains(c.name())) missing = true;
        if (!missing) return;
        List<Path> chain = new ArrayList<>();
        for (Path p = h.d().dir().getParent(); p.startsWith(h.d().mount()); p = p.getParent()) {
            chain.addFirst(p);
            if (p.equals(h.d().mount())) break;
        }
        for (Path p : chain) enableControllers(h, p);
    }

    /** v2: the controllers this hierarchy drives must be on in the parent's subtree_control. */
    private void enableControllers(Hier h, Path parent) {
        Path sub = parent.resolve("cgroup.subtree_control");
        String available = CgroupFiles.readOrNull(parent.resolve("cgroup.controllers"));
        String on = CgroupFiles.readOrNull(sub);
        if (available == null || on == null) return;
        Set<String> avail = Set.of(available.split(" ")), enabled = Set.of(on.split(" "));
        for (Controller c : h.controllers()) {
            String n = c.name();
            if (avail.contains(n) && !enabled.contains(n)) {
                // one controller per write: one the kernel refuses must not block the others
                try {
                    if (fake) { // a plain file does not merge "+x" writes: write the whole set
                        on = (on.isEmpty() ? "" : on + " ") + n;
                        CgroupFiles.write(sub, on);
                    } else CgroupFiles.write(sub, "+" + n);
                } catch (CgroupException ignored) {
                    // its files will be missing below; a write that needs them fails naming the file
                }
            }
        }
    }

    @Override
    public void update(Resources r) {
        if (r == null) return;
        ResourcesValidator.validate(r);
        checkSupported(r);
        if (!exists()) throw CgroupException.state("cgroup " + path + " does not exist", paths().isEmpty() ? null : paths().getFirst());
        for (Hier h : hiers) for (Controller c : h.controllers()) c.validate(h.d(), r);
        Journal j = new Journal();
        try {
            for (Hier h : hiers) for (Controller c : h.controllers()) c.apply(h.d(), r, j);
        } catch (RuntimeException e) {
            j.rollback(e);
            throw e;
        }
    }

    @Override
    public void addProcess(int pid) {
        String p = Integer.toString(pid);
        for (Hier h : hiers) CgroupFiles.write(h.d().file("cgroup.procs"), p);
    }

    @Override
    public List<Integer> pids() {
        TreeSet<Integer> all = new TreeSet<>();
        for (Hier h : hiers) all.addAll(CgroupFiles.readPids(h.d().file("cgroup.procs")));
        return List.copyOf(all);
    }

    @Override
    public Stats stats() {
        Stats.Builder b = new Stats.Builder();
        for (Hier h : hiers) {
            if (!Files.isDirectory(h.d().dir())) continue;
            for (Controller c : h.controllers()) c.stats(h.d(), b);
        }
        return b.build();
    }

    private Hier freezerHier() {
        for (Hier h : hiers) for (Controller c : h.controllers()) if (c instanceof Freezer) return h;
        return null;
    }

    private Freezer freezerOf(Hier h) {
        for (Controller c : h.controllers()) if (c instanceof Freezer f) return f;
        throw new IllegalStateException();
    }

    @Override
    public void freeze() {
        Hier h = freezerHier();
        if (h == null) throw CgroupException.state("no freezer on this host", null);
        freezerOf(h).freeze(h.d());
    }

    @Override
    public void thaw() {
        Hier h = freezerHier();
        if (h == null) throw CgroupException.state("no freezer on this host", null);
        freezerOf(h).thaw(h.d());
    }

    @Override
    public FreezerState freezerState() {
        Hier h = freezerHier();
        return h == null || !Files.isDirectory(h.d().dir()) ? FreezerState.THAWED : freezerOf(h).state(h.d());
    }

    @Override
    public AutoCloseable onOom(Runnable listener) {
        for (Hier h : hiers)
            for (Controller c : h.controllers()) {
                if (c instanceof dev.berth.cgroups.v1.V1Memory) return new dev.berth.cgroups.v1.V1OomNotifier(h.d(), listener);
                if (c instanceof dev.berth.cgroups.v2.V2Memory) return new dev.berth.cgroups.v2.V2OomWatcher(h.d(), listener);
            }
        throw new UnsupportedOperationException("no memory controller on this host: no oom notifications");
    }

    @Override
    public boolean exists() {
        for (Hier h : hiers) if (Files.isDirectory(h.d().dir())) return true;
        return false;
    }

    @Override
    public void destroy() {
        // rmdir first: an empty cgroup (the common case: the container has exited) costs one rmdir
        // per hierarchy; a populated one answers EBUSY at once, and then we kill. The freezer
        // hierarchy goes last so it is still there to freeze what is left.
        RuntimeException first = null;
        boolean killed = false;
        for (Hier h : destroyOrder) {
            try {
                if (!killed) {
                    if (tryRmdir(h.d().dir())) continue; // gone (or was): one rmdir, nothing else
                    killAll();
                    killed = true;
                }
                rmdir(h.d().dir());
            } catch (RuntimeException e) {
                if (first == null) first = e; else first.addSuppressed(e);
            }
        }
        if (first != null) throw first;
    }

    /** rmdir once; false if the cgroup still has processes (EBUSY). */
    private boolean tryRmdir(Path dir) {
        if (fake) {
            if (!CgroupFiles.readPids(dir.resolve("cgroup.procs")).isEmpty()) return false;
            FakeTree.clear(dir);
        }
        try {
            Files.delete(dir);
            return true;
        } catch (NoSuchFileException e) {
            return true;
        } catch (DirectoryNotEmptyException e) {
            throw CgroupException.io("rmdir (has child cgroups)", dir, e);
        } catch (FileSystemException e) {
            return false;
        } catch (IOException e) {
            throw CgroupException.io("rmdir", dir, e);
        }
    }

    /**
     * SIGKILL every task and wait until the cgroup is empty. First without the freezer (a v1
     * freeze/thaw pair costs milliseconds); if tasks remain after that round (something forked in
     * between), freeze so nothing can fork, kill, thaw so they can die, and repeat.
     */
    private void killAll() {
        List<Integer> pids = pids();
        if (pids.isEmpty()) return;
        long deadline = System.nanoTime() + 10_000_000_000L;
        boolean useFreezer = false;
        boolean paused = freezerState() != FreezerState.THAWED; // a paused container: kill, then thaw so they die
        for (int round = 0; ; round++) {
            boolean frozen = paused && round == 0;
            if (useFreezer) {
                try {
                    freeze();
                    frozen = true;
                    pids = pids();
                } catch (RuntimeException ignored) {
                    // kill anyway
                }
            }
            if (!killViaCgroupKill()) for (int pid : pids) kill(pid);
            if (frozen) {
                try {
                    thaw();
                } catch (RuntimeException ignored) {
                    // the directory may be going away
                }
            }
            for (int i = 0; i < 200; i++) {
                pids = pids();
                if (pids.isEmpty()) return;
                if (round == 0 && i == 60 && freezerHier() != null) break; // ~10 ms: something is forking
                backoff(i);
            }
            useFreezer = freezerHier() != null;
            if (System.nanoTime() > deadline)
                throw CgroupException.state("cgroup " + path + " still has processes " + pids + " after SIGKILL", paths().getFirst());
        }
    }

    private boolean killViaCgroupKill() {
        for (Hier h : hiers) {
            if (h.unified() && h.d().has("cgroup.kill") && !fake) {
                try {
                    CgroupFiles.write(h.d().file("cgroup.kill"), "1");
                    return kind == Layout.V2;
                } catch (CgroupException ignored) {
                    return false;
                }
            }
        }
        return false;
    }

    private static void kill(int pid) {
        if (pid == ProcessHandle.current().pid()) return;
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }

    private void rmdir(Path dir) {
        if (fake) FakeTree.clear(dir);
        for (int i = 0; ; i++) {
            try {
                Files.delete(dir);
                return;
            } catch (NoSuchFileException e) {
                return;
            } catch (DirectoryNotEmptyException e) {
                throw CgroupException.io("rmdir (has child cgroups)", dir, e);
            } catch (FileSystemException e) {
                // EBUSY while the last task is being released
                if (i >= 300) throw CgroupException.io("rmdir", dir, e);
                backoff(i);
            } catch (IOException e) {
                throw CgroupException.io("rmdir", dir, e);
            }
        }
    }

    /** Waits for the kernel: 100 us steps first (a killed task is gone in well under 1 ms), then 1 ms, then 5 ms. */
    static void backoff(int i) {
        if (i < 50) {
            java.util.concurrent.locks.LockSupport.parkNanos(100_000);
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                throw CgroupException.state("interrupted", null);
            }
        } else sleep(i < 100 ? 1 : 5);
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CgroupException.state("interrupted", null);
        }
    }

    /** Stands in for the kernel on a fake tree: a new directory gets the control files of the root. */
    static final class FakeTree {
        static void populate(Path mount, Path dir, boolean unified) {
            try (Stream<Path> s = Files.list(mount)) {
                for (Path f : (Iterable<Path>) s::iterator) {
                    if (!Files.isRegularFile(f)) continue;
                    String n = f.getFileName().toString();
                    String content = n.equals("cgroup.procs") || n.equals("tasks") || n.equals("cgroup.subtree_control") ? "" : Files.readString(f);
                    if (n.startsWith("cpuset.") && !unified) content = ""; // the kernel starts a v1 cpuset empty
                    Files.writeString(dir.resolve(n), content);
                }
                if (unified) {
                    String parentSub = CgroupFiles.readOrNull(dir.getParent().resolve("cgroup.subtree_control"));
                    Files.writeString(dir.resolve("cgroup.controllers"), parentSub == null ? "" : parentSub);
                }
            } catch (IOException e) {
                throw CgroupException.io("populate fake cgroup", dir, e);
            }
        }

        static void clear(Path dir) {
            if (!Files.isDirectory(dir)) return;
            try (Stream<Path> s = Files.list(dir)) {
                for (Path f : (Iterable<Path>) s::iterator) if (Files.isRegularFile(f)) Files.delete(f);
            } catch (IOException e) {
                throw CgroupException.io("clear fake cgroup", dir, e);
            }
        }
    }
}
