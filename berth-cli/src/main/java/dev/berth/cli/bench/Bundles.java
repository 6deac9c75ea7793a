package dev.berth.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * OCI bundles for the bench: scripts/mk-bundle.sh's busybox rootfs and runc-spec config, with host
 * tools (sysbench, fio, iperf3) placed in the rootfs at their host paths together with the shared
 * libraries ldd names — hard links when the work dir shares the host's filesystem (free), copies
 * otherwise — and the config edited as a phase needs.
 */
public final class Bundles {
    static final ObjectMapper JSON = new ObjectMapper();

    private Bundles() {}

    /** A bundle at dir running args, with the given host binaries made available inside. */
    public static Path create(Context ctx, Path dir, List<String> args, List<String> hostBinaries, Consumer<ObjectNode> edit) {
        List<String> cmd = new ArrayList<>(List.of(ctx.script("mk-bundle.sh").toString(), dir.toString()));
        cmd.addAll(args);
        Proc.run(120, cmd).check();
        Path rootfs = dir.resolve("rootfs");
        for (String b : hostBinaries) addBinary(rootfs, b);
        if (edit != null) editConfig(dir, edit);
        return dir;
    }

    public static void editConfig(Path dir, Consumer<ObjectNode> edit) {
        try {
            Path f = dir.resolve("config.json");
            ObjectNode c = (ObjectNode) JSON.readTree(f.toFile());
            edit.accept(c);
            JSON.writerWithDefaultPrettyPrinter().writeValue(f.toFile(), c);
        } catch (IOException e) {
            throw new BenchException("config.json of " + dir + ": " + e.getMessage());
        }
    }

    /** Adds a bind mount (rw unless ro) of a host directory. */
    public static void bind(ObjectNode config, String source, String destination, boolean ro) {
        ObjectNode m = ((ArrayNode) config.get("mounts")).addObject();
        m.put("destination", destination).put("type", "bind").put("source", source);
        ArrayNode o = m.putArray("options").add("rbind");
        o.add(ro ? "ro" : "rw");
    }

    /** Adds a tmpfs (e.g. /tmp for a tool that writes a temp file under a read-only root). */
    public static void tmpfs(ObjectNode config, String destination) {
        ObjectNode m = ((ArrayNode) config.get("mounts")).addObject();
        m.put("destination", destination).put("type", "tmpfs").put("source", "tmpfs");
        m.putArray("options").add("nosuid").add("nodev").add("mode=1777").add("size=16m");
    }

    /** Joins an existing network namespace (a path under /run/netns) instead of a new one. */
    public static void netns(ObjectNode config, String path) {
        for (var n : (ArrayNode) config.get("linux").get("namespaces"))
            if (n.get("type").asText().equals("network")) ((ObjectNode) n).put("path", path);
    }

    /** The binary and every library ldd lists, at the same paths under rootfs. */
    static void addBinary(Path rootfs, String binary) {
        String path = binary.startsWith("/") ? binary : Proc.which(binary);
        if (path == null) throw new BenchException(binary + " not found (apt-get install " + binary + ")");
        Set<String> files = new LinkedHashSet<>();
        files.add(path);
        String ldd = Proc.run(30, "ldd", path).out();
        for (String l : ldd.split("\n")) {
            l = l.strip();
            int arrow = l.indexOf("=> ");
            String f = arrow >= 0 ? l.substring(arrow + 3) : l;
            int sp = f.indexOf(" (");
            if (sp >= 0) f = f.substring(0, sp);
            if (f.startsWith("/")) files.add(f);
        }
        for (String f : files) place(rootfs, Path.of(f));
    }

    static void place(Path rootfs, Path host) {
        try {
            Path real = host.toRealPath();
            Path target = rootfs.resolve(host.toString().substring(1));
            if (Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
            Files.createDirectories(target.getParent());
            try {
                Files.createLink(target, real);
            } catch (IOException | UnsupportedOperationException e) {
                Files.copy(real, target);
            }
        } catch (IOException e) {
            throw new BenchException("cannot place " + host + " in " + rootfs + ": " + e.getMessage());
        }
    }
}
