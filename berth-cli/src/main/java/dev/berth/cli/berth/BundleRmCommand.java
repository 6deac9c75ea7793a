package dev.berth.cli.berth;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.Json;
import dev.berth.image.snapshot.Snapshotter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "rm", aliases = {"remove"}, description = {
        "Remove bundles: unmount the rootfs, delete its writable layer and config.json.",
        "DIR goes too when berth created it and it is now empty.",
        "A bundle that processes run in (a berth-runc container, created or running) is refused unless -f."})
final class BundleRmCommand implements Callable<Integer> {
    @Mixin Global global;
    @Option(names = {"-f", "--force"}, description = "SIGKILL the processes running in the bundle first, as docker rm -f")
    boolean force;
    @Parameters(arity = "1..*", paramLabel = "NAME") List<String> names;
    @Spec CommandSpec spec;

    /** How long --force waits for the killed processes to be gone (they exit; their parent reaps them). */
    static final Duration KILL_WAIT = Duration.ofSeconds(10);

    /** A bundle that processes still run in: refused, as docker's conflict (exit code 1, BerthMain's "other"). */
    static final class InUse extends IllegalStateException {
        InUse(String message) { super(message); }
    }

    @Override public Integer call() {
        Snapshotter snap = global.images().snapshotter();
        int code = 0;
        for (String n : names) {
            try {
                remove(snap, n, force, spec.commandLine().getErr());
                spec.commandLine().getOut().println(n);
            } catch (RuntimeException e) {
                spec.commandLine().getErr().println("berth: " + BerthMain.oneLine(e));
                code = BerthMain.exitCode(e);
            }
        }
        return code;
    }

    /**
     * Removes bundle {@code name}. Processes whose root is in its rootfs make it an {@link InUse}
     * that changes nothing, or with {@code force} are killed first (named on {@code err}).
     */
    static void remove(Snapshotter snap, String name, boolean force, PrintWriter err) {
        List<Long> pids = snap.processesIn(name);   // NotFound for an unknown name
        if (!pids.isEmpty()) {
            if (!force)
                throw new InUse("cannot remove bundle " + name + ": in use by " + describe(pids)
                        + "; stop its container (berth-runc kill/delete) or use bundle rm --force");
            err.println("berth: bundle " + name + ": killing " + describe(pids));
            kill(snap, name);
        }
        remove(snap, name);
    }

    /** SIGKILLs every process rooted in the bundle, again for any that appear meanwhile, until none is left. */
    private static void kill(Snapshotter snap, String name) {
        long deadline = System.nanoTime() + KILL_WAIT.toNanos();
        while (true) {
            // handles first (they pin each process's start time), then the pids checked again: a pid
            // that was reused meanwhile is not killed (destroyForcibly checks the start time)
            List<ProcessHandle> handles = snap.processesIn(name).stream()
                    .flatMap(p -> ProcessHandle.of(p).stream()).toList();
            if (handles.isEmpty()) return;
            List<Long> still = snap.processesIn(name);
            for (ProcessHandle h : handles) if (still.contains(h.pid())) h.destroyForcibly();
            if (System.nanoTime() - deadline > 0) {
                List<Long> left = snap.processesIn(name);
                if (left.isEmpty()) return;
                throw new InUse("cannot remove bundle " + name + ": " + describe(left) + " still there "
                        + KILL_WAIT.toSeconds() + "s after SIGKILL");
            }
            try { Thread.sleep(20); }
            catch (InterruptedException e) { Thread.currentThread().interrupt(); throw new InUse("interrupted while killing the processes of bundle " + name); }
        }
    }

    /** "pid 12 (sleep)" or "pids 12 (sh), 13 (sleep)"; at most 10, then how many more. */
    static String describe(List<Long> pids) {
        StringBuilder b = new StringBuilder(pids.size() == 1 ? "pid " : "pids ");
        for (int i = 0; i < pids.size() && i < 10; i++) {
            if (i > 0) b.append(", ");
            b.append(pids.get(i));
            try { b.append(" (").append(Files.readString(Path.of("/proc", pids.get(i).toString(), "comm")).strip()).append(')'); }
            catch (IOException ignored) {}   // gone meanwhile
        }
        if (pids.size() > 10) b.append(" and ").append(pids.size() - 10).append(" more");
        return b.toString();
    }

    private static void remove(Snapshotter snap, String name) {
        Snapshotter.ContainerInfo ci = snap.info(name);
        Path rootfs = snap.rootfs(name).toAbsolutePath();
        snap.remove(name);
        String dir = ci.labels().get(BundleCommand.LABEL_DIR);
        if (dir == null) return;
        Path bundle = Path.of(dir);
        Path config = bundle.resolve("config.json");
        try {
            // only the config.json that points at this rootfs: a bundle rewritten since is the user's
            if (Files.isRegularFile(config, LinkOption.NOFOLLOW_LINKS)) {
                JsonNode c = Json.MAPPER.readTree(Files.readAllBytes(config));
                if (rootfs.toString().equals(c.path("root").path("path").asText())) Files.delete(config);
            }
            if (Boolean.parseBoolean(ci.labels().get(BundleCommand.LABEL_CREATED_DIR)) && Files.isDirectory(bundle, LinkOption.NOFOLLOW_LINKS)) {
                boolean empty;
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(bundle)) { empty = !ds.iterator().hasNext(); }
                if (empty) Files.delete(bundle);
            }
        } catch (IOException e) {
            throw new ImageException.Store("bundle " + name + " removed, but not its directory " + bundle + ": " + e.getMessage(), e);
        }
    }
}
