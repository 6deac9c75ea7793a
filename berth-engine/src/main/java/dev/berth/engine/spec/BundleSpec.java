package dev.berth.engine.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The config.json of a bundle made from an image: the starter config that {@code berth-runc spec}
 * writes (the runtime-spec defaults of {@code runc spec}: namespaces, mounts, masked and read-only
 * paths, rlimits, no_new_privs), with Docker's default capability set, and the process taken from
 * the image config as {@code docker create} takes it: Entrypoint + Cmd (a command given replaces
 * Cmd; {@code --entrypoint} replaces Entrypoint and drops Cmd), Env (PATH added when missing,
 * HOSTNAME, TERM with a terminal), WorkingDir (created when missing, as Docker does) and User
 * (names resolved in the image's /etc/passwd and /etc/group, never following a link out of it).
 *
 * <p>Also the one lookup of a container's user in its root filesystem ({@link #resolveUser}, as
 * runc's user.GetExecUser): {@code bin/berth bundle create} and berthd's containers
 * ({@code OciSpec}) both use it.
 */
public final class BundleSpec {
    private BundleSpec() {}

    /** Docker's default capabilities (moby oci/caps/defaults.go). */
    public static final List<String> DOCKER_CAPS = List.of("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
            "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
            "CAP_KILL", "CAP_AUDIT_WRITE");

    public static final String DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /**
     * What the user overrides. {@code entrypoint} null keeps the image's ({@code ""}: none);
     * {@code command} empty keeps the image's Cmd; {@code env} entries are K=V (a bare K takes the
     * value from this process's environment, as docker -e does).
     */
    public record Options(List<String> command, String entrypoint, List<String> env, String workdir, String user,
                   boolean tty, boolean readOnly, String hostname) {
        public Options {
            command = command == null ? List.of() : List.copyOf(command);
            env = env == null ? List.of() : List.copyOf(env);
        }
    }

    /** The runtime-spec defaults berth-runc spec writes (one copy of them: berth-spec's resource). */
    public static ObjectNode defaults() {
        try (InputStream in = dev.berth.spec.Spec.class.getResourceAsStream("default-config.json")) {
            return (ObjectNode) Json.MAPPER.readTree(in);
        } catch (IOException e) {
            throw new IllegalStateException("default-config.json: " + e.getMessage(), e);
        }
    }

    /** Where the default mounts go: made in the snapshot's init layer when the image lacks them. */
    public static List<String> mountPoints() {
        List<String> out = new ArrayList<>();
        for (JsonNode m : defaults().path("mounts")) out.add(m.path("destination").asText());
        return out;
    }

    /**
     * @param image the image config's {@code config} object (may be missing or null)
     * @param rootfs the container's root filesystem (read for users and groups; WorkingDir is created in it)
     */
    public static ObjectNode generate(JsonNode image, Path rootfs, Options o) throws IOException {
        JsonNode ic = image == null || image.isNull() || image.isMissingNode() ? Json.MAPPER.createObjectNode() : image;
        ObjectNode spec = defaults();
        ObjectNode proc = (ObjectNode) spec.get("process");
        proc.put("terminal", o.tty());

        List<String> entrypoint = o.entrypoint() != null ? (o.entrypoint().isEmpty() ? List.of() : List.of(o.entrypoint())) : strings(ic.get("Entrypoint"));
        List<String> cmd = !o.command().isEmpty() ? o.command() : o.entrypoint() != null ? List.of() : strings(ic.get("Cmd"));
        List<String> args = new ArrayList<>(entrypoint);
        args.addAll(cmd);
        if (args.isEmpty())
            throw new ImageException.InvalidReference("no command: the image has no Entrypoint or Cmd; give one after DIR");
        ArrayNode a = proc.putArray("args");
        args.forEach(a::add);

        Map<String, String> env = new LinkedHashMap<>();
        for (String e : strings(ic.get("Env"))) put(env, e);
        if (!env.containsKey("PATH")) put(env, DEFAULT_PATH);
        env.put("HOSTNAME", o.hostname());
        if (o.tty() && !env.containsKey("TERM")) env.put("TERM", "xterm");
        for (String e : o.env()) {
            if (e.indexOf('=') > 0) put(env, e);
            else if (!e.isEmpty() && System.getenv(e) != null) env.put(e, System.getenv(e));
            else if (e.isEmpty() || e.startsWith("=")) throw new ImageException.InvalidReference("invalid --env " + e + " (expected KEY=VALUE)");
        }
        ArrayNode envs = proc.putArray("env");
        env.forEach((k, v) -> envs.add(k + "=" + v));

        String wd = o.workdir() != null && !o.workdir().isEmpty() ? o.workdir() : ic.path("WorkingDir").asText("");
        if (wd.isEmpty()) wd = "/";
        if (!wd.startsWith("/")) wd = "/" + wd;
        proc.put("cwd", wd);
        if (!wd.equals("/")) {
            Path in = inRootOrInvalid(rootfs, wd);
            if (!Files.exists(in, LinkOption.NOFOLLOW_LINKS)) Files.createDirectories(in);
            else if (!Files.isDirectory(in, LinkOption.NOFOLLOW_LINKS))
                throw new ImageException.InvalidReference("working directory " + wd + " is not a directory in the image");
        }

        String user = o.user() != null ? o.user() : ic.path("User").asText("");
        ExecUser u;
        try { u = resolveUser(rootfs, user); }
        catch (IllegalArgumentException e) { throw new ImageException.InvalidReference(e.getMessage()); }
        ObjectNode un = proc.putObject("user");
        un.put("uid", u.uid());
        un.put("gid", u.gid());
        if (!u.additionalGids().isEmpty()) {
            ArrayNode ag = un.putArray("additionalGids");
            u.additionalGids().forEach(ag::add);
        }

        ObjectNode caps = proc.putObject("capabilities");
        for (String set : new String[]{"bounding", "effective", "permitted"}) {
            ArrayNode s = caps.putArray(set);
            DOCKER_CAPS.forEach(s::add);
        }

        ObjectNode root = spec.putObject("root");
        root.put("path", rootfs.toAbsolutePath().toString());
        root.put("readonly", o.readOnly());
        spec.put("hostname", o.hostname());
        // Check it as berth-runc will (types and consistency), so a bundle that exists runs.
        byte[] bytes = Json.write(spec);
        dev.berth.spec.SpecValidator.validate(dev.berth.spec.Spec.parse(bytes));
        return spec;
    }

    private static void put(Map<String, String> env, String kv) {
        int i = kv.indexOf('=');
        if (i <= 0) { if (!kv.isEmpty()) env.put(kv, ""); return; }
        env.put(kv.substring(0, i), kv.substring(i + 1));
    }

    private static List<String> strings(JsonNode n) {
        List<String> out = new ArrayList<>();
        if (n != null && n.isArray()) n.forEach(x -> out.add(x.asText()));
        return out;
    }

    private static Path inRootOrInvalid(Path rootfs, String path) throws IOException {
        try { return inRoot(rootfs, path); }
        catch (IllegalArgumentException e) { throw new ImageException.InvalidReference(e.getMessage()); }
    }

    /** uid, gid and supplementary groups of a process, as runc's user.GetExecUser computes them. */
    public record ExecUser(long uid, long gid, List<Long> additionalGids) {}

    /**
     * {@code user}: "", "uid", "name", "uid:gid", "name:group" (and mixed). Names are looked up in
     * the image's /etc/passwd and /etc/group; a numeric uid without a passwd entry runs with gid 0.
     * Supplementary groups (the user's memberships in /etc/group) are added when no group is given.
     * A user or group that is not there, or a bad id, is an IllegalArgumentException naming it.
     */
    public static ExecUser resolveUser(Path rootfs, String user) throws IOException {
        String u = user == null ? "" : user.trim();
        String g = null;
        int colon = u.indexOf(':');
        if (colon >= 0) { g = u.substring(colon + 1); u = u.substring(0, colon); }
        if (u.isEmpty()) u = "0";
        List<String[]> passwd = table(rootfs, "/etc/passwd", 7);
        String[] entry = null;
        boolean numeric = u.matches("[0-9]+");
        for (String[] p : passwd) {
            if (numeric ? p[2].equals(u) : p[0].equals(u)) { entry = p; break; }
        }
        if (entry == null && !numeric)
            throw new IllegalArgumentException("unable to find user " + u + ": no matching entries in passwd file");
        long uid = numeric ? id(u, "user") : id(entry[2], "user " + u);
        long gid = entry != null && entry[3].matches("[0-9]+") ? Long.parseLong(entry[3]) : 0;
        List<Long> extra = new ArrayList<>();
        List<String[]> groups = table(rootfs, "/etc/group", 4);
        if (g != null && !g.isEmpty()) {
            if (g.matches("[0-9]+")) gid = id(g, "group");
            else {
                String[] ge = null;
                for (String[] x : groups) if (x[0].equals(g)) { ge = x; break; }
                if (ge == null) throw new IllegalArgumentException("unable to find group " + g + ": no matching entries in group file");
                gid = id(ge[2], "group " + g);
            }
        } else if (entry != null) {
            for (String[] x : groups) {
                if (x.length < 4 || x[3].isEmpty() || !x[2].matches("[0-9]+")) continue;
                for (String m : x[3].split(",")) {
                    long xg = Long.parseLong(x[2]);
                    if (m.trim().equals(entry[0]) && xg != gid && !extra.contains(xg)) extra.add(xg);
                }
            }
        }
        return new ExecUser(uid, gid, extra);
    }

    private static long id(String s, String what) {
        try {
            long v = Long.parseLong(s);
            if (v < 0 || v > 0xFFFFFFFEL) throw new NumberFormatException();
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid id " + s + " of " + what);
        }
    }

    /** Lines of a colon-separated file of the image (missing: none), each padded to {@code fields}. */
    private static List<String[]> table(Path rootfs, String file, int fields) throws IOException {
        Path p = inRoot(rootfs, file);
        List<String[]> out = new ArrayList<>();
        if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) return out;
        for (String line : Files.readAllLines(p, StandardCharsets.UTF_8)) {
            if (line.isBlank() || line.startsWith("#")) continue;
            String[] f = line.split(":", -1);
            if (f.length < 3) continue;
            String[] padded = new String[fields];
            for (int i = 0; i < fields; i++) padded[i] = i < f.length ? f[i] : "";
            out.add(padded);
        }
        return out;
    }

    /**
     * {@code path} inside {@code root} with every symlink resolved as if {@code root} were "/"
     * (absolute targets restart at root, ".." stops at root): the result never leaves root.
     */
    public static Path inRoot(Path root, String path) throws IOException {
        Deque<String> todo = new ArrayDeque<>();
        for (String c : path.split("/")) if (!c.isEmpty()) todo.addLast(c);
        List<String> done = new ArrayList<>();
        int links = 0;
        while (!todo.isEmpty()) {
            String c = todo.removeFirst();
            if (c.equals(".")) continue;
            if (c.equals("..")) { if (!done.isEmpty()) done.removeLast(); continue; }
            Path next = join(root, done).resolve(c);
            if (Files.isSymbolicLink(next)) {
                if (++links > 40) throw new IllegalArgumentException("too many levels of symbolic links in " + path + " of the image");
                String target = Files.readSymbolicLink(next).toString();
                if (target.startsWith("/")) done.clear();
                List<String> parts = new ArrayList<>();
                for (String t : target.split("/")) if (!t.isEmpty()) parts.add(t);
                for (int i = parts.size() - 1; i >= 0; i--) todo.addFirst(parts.get(i));
                continue;
            }
            done.add(c);
        }
        return join(root, done);
    }

    private static Path join(Path root, List<String> parts) {
        Path p = root;
        for (String s : parts) p = p.resolve(s);
        return p;
    }
}
