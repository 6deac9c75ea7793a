package dev.berth.cli.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * What every phase shares: the options, the repository (bin/, scripts/), a private work directory,
 * a unique tag for names (ids, links, netns, cgroups), the progress output and a cleanup stack
 * run in reverse at the end, whatever happened.
 */
public final class Context implements AutoCloseable {
    public final Path repo, work;
    public final boolean quick;
    public final String tag;
    public final PrintStream out;
    public final Machine machine = Machine.here();
    private final Deque<Runnable> cleanups = new ArrayDeque<>();
    private int seq;

    public Context(Path repo, boolean quick, PrintStream out) { this(repo, quick, out, "bb" + ProcessHandle.current().pid(), null); }

    private Context(Path repo, boolean quick, PrintStream out, String tag, Path parent) {
        this.repo = repo;
        this.quick = quick;
        this.out = out;
        this.tag = tag;
        if (parent != null) {
            work = parent.resolve("p" + tag.substring(tag.lastIndexOf('x') + 1));
            try { Files.createDirectories(work); } catch (IOException e) { throw new BenchException("cannot create " + work + ": " + e.getMessage()); }
            onClose(() -> Proc.run(120, "rm", "-rf", "--one-file-system", work.toString()));
            return;
        }
        try {
            // Under /var/tmp (disk-backed here, unlike a tmpfs /tmp) so disk figures measure a disk.
            Path base = Path.of(System.getProperty("berth.bench.tmp", "/var/tmp"));
            work = Files.createTempDirectory(Files.isDirectory(base) ? base : Path.of("/tmp"), "berth-bench.");
        } catch (IOException e) {
            throw new BenchException("cannot create a work directory: " + e.getMessage());
        }
        onClose(() -> Proc.run(120, "rm", "-rf", "--one-file-system", work.toString()));
    }

    private int children;

    /** A context for one phase: its own work directory and cleanups, run when the phase ends. */
    public Context child() { children++; return new Context(repo, quick, out, tag + "x" + children, work); }

    /** bin/berth-runc of this repository. */
    public String berthRunc() { return repo.resolve("bin/berth-runc").toString(); }

    public Path script(String name) { return repo.resolve("scripts").resolve(name); }

    /** A fresh name for a container, link or directory: tag-prefix-seq. */
    public synchronized String name(String prefix) { return tag + prefix + (++seq); }

    /** Rounds: the quick or the full count. */
    public int rounds(int quickRounds, int fullRounds) { return quick ? quickRounds : fullRounds; }

    public void onClose(Runnable r) { cleanups.push(r); }

    public void progress(String phase, String what) { out.printf("  [%s] %s%n", phase, what); out.flush(); }

    @Override public void close() {
        while (!cleanups.isEmpty()) {
            try { cleanups.pop().run(); } catch (RuntimeException e) { out.println("  cleanup: " + e.getMessage()); }
        }
    }

    /** rmdir of the per-run cgroup parent in every hierarchy (runtimes leave the parents). */
    public void removeCgroups(String name) {
        for (Path h : List.of(Path.of("/sys/fs/cgroup"))) {
            Proc.sh(30, "for d in " + h + "/*/" + name + " " + h + "/" + name + "; do [ -d \"$d\" ] && find \"$d\" -depth -type d -exec rmdir {} + 2>/dev/null; done; true");
        }
    }
}
