package dev.berth.engine.bundles;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.engine.spec.BundleSpec;
import dev.berth.image.Images;
import dev.berth.image.api.Descriptor;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.Json;
import dev.berth.image.api.MediaTypes;
import dev.berth.image.snapshot.Snapshotter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * OCI bundles made from images ({@code bin/berth bundle create|rm}): a writable overlay snapshot
 * of the image named after the bundle, and a config.json ({@link BundleSpec}) beside it. Creation
 * is all or nothing (a failure removes the snapshot, the partial config and a directory it made);
 * removal refuses a bundle processes still run in, or kills them first when forced.
 */
public final class Bundles {
    private Bundles() {}

    /** Labels recorded on a bundle's snapshot (containers/NAME/image.json): its directory, and whether berth made it. */
    public static final String LABEL_DIR = "bundle";
    public static final String LABEL_CREATED_DIR = "bundle.created-dir";

    /** How long a forced removal waits for the killed processes to be gone (they exit; their parent reaps them). */
    public static final Duration KILL_WAIT = Duration.ofSeconds(10);

    /** A bundle that processes still run in: refused, as docker's conflict. */
    public static final class InUse extends IllegalStateException {
        InUse(String message) { super(message); }
    }

    /**
     * Creates bundle {@code name} (empty: {@code dir}'s last component) from {@code image} in
     * {@code dir} (created 0700 when missing; it must not hold a config.json). {@code o}'s hostname
     * null means the name (at most 63 characters). Returns the bundle's name.
     */
    public static String create(Images im, String image, Path dir, String name, BundleSpec.Options o) throws IOException {
        Path bundle = dir.toAbsolutePath().normalize();
        String n = name != null ? name : bundle.getFileName() == null ? "" : bundle.getFileName().toString();
        if (o.hostname() == null)
            o = new BundleSpec.Options(o.command(), o.entrypoint(), o.env(), o.workdir(), o.user(), o.tty(), o.readOnly(),
                    n.length() > 63 ? n.substring(0, 63) : n);
        Path config = bundle.resolve("config.json");
        if (Files.exists(bundle, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(bundle, LinkOption.NOFOLLOW_LINKS))
            throw new ImageException.InvalidReference("bundle directory " + bundle + " exists and is not a directory");
        if (Files.exists(config, LinkOption.NOFOLLOW_LINKS))
            throw new ImageException.InvalidReference("bundle directory " + bundle + " already has a config.json");
        Snapshotter snap = im.snapshotter();
        boolean createDir = !Files.exists(bundle, LinkOption.NOFOLLOW_LINKS);
        Path rootfs = snap.prepare(n, image, Map.of(LABEL_DIR, bundle.toString(),
                LABEL_CREATED_DIR, Boolean.toString(createDir)), BundleSpec.mountPoints());
        Path tmp = bundle.resolve(".config.json.partial");
        try {
            Snapshotter.ContainerInfo ci = snap.info(n);
            var m = im.store().manifest(new Descriptor(MediaTypes.OCI_MANIFEST, ci.manifest(), 0, null, null, null));
            ObjectNode imageConfig = im.store().config(m);
            ObjectNode cfg = BundleSpec.generate(imageConfig.get("config"), rootfs, o);
            cfg.putObject("annotations").put("dev.berth.image", ci.image()).put("dev.berth.image.manifest", ci.manifest());
            if (createDir) {   // 0700 from the start: config.json holds the container's command and environment
                Files.createDirectories(bundle.getParent());
                Files.createDirectory(bundle, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            Files.write(tmp, Json.pretty(cfg).getBytes(StandardCharsets.UTF_8));
            Files.move(tmp, config, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            try { snap.remove(n); } catch (RuntimeException e2) { e.addSuppressed(e2); }
            try {
                Files.deleteIfExists(tmp);
                if (createDir) Files.deleteIfExists(bundle);
            } catch (IOException e2) { e.addSuppressed(e2); }
            if (e instanceof IOException io) throw new ImageException.Store("cannot write bundle " + bundle + ": " + io.getMessage(), io);
            throw e;
        }
        return n;
    }

    /**
     * Removes bundle {@code name}. Processes whose root is in its rootfs make it an {@link InUse}
     * that changes nothing, or with {@code force} are killed first (named to {@code notice}).
     */
    public static void remove(Snapshotter snap, String name, boolean force, Consumer<String> notice) {
        List<Long> pids = snap.processesIn(name);   // NotFound for an unknown name
        if (!pids.isEmpty()) {
            if (!force)
                throw new InUse("cannot remove bundle " + name + ": in use by " + describe(pids)
                        + "; stop its container (berth-runc kill/delete) or use bundle rm --force");
            notice.accept("bundle " + name + ": killing " + describe(pids));
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
    public static String describe(List<Long> pids) {
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
        String dir = ci.labels().get(LABEL_DIR);
        if (dir == null) return;
        Path bundle = Path.of(dir);
        Path config = bundle.resolve("config.json");
        try {
            // only the config.json that points at this rootfs: a bundle rewritten since is the user's
            if (Files.isRegularFile(config, LinkOption.NOFOLLOW_LINKS)) {
                JsonNode c = Json.MAPPER.readTree(Files.readAllBytes(config));
                if (rootfs.toString().equals(c.path("root").path("path").asText())) Files.delete(config);
            }
            if (Boolean.parseBoolean(ci.labels().get(LABEL_CREATED_DIR)) && Files.isDirectory(bundle, LinkOption.NOFOLLOW_LINKS)) {
                boolean empty;
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(bundle)) { empty = !ds.iterator().hasNext(); }
                if (empty) Files.delete(bundle);
            }
        } catch (IOException e) {
            throw new ImageException.Store("bundle " + name + " removed, but not its directory " + bundle + ": " + e.getMessage(), e);
        }
    }
}
