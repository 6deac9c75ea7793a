package dev.berth.engine.spec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * A container's user in its root filesystem ({@code docker run -u}): names looked up in the
 * image's /etc/passwd and /etc/group as runc's user.GetExecUser does, never following a link out
 * of the root. (berth-cli's BundleSpec has the same lookup; it cannot use this one while
 * berth-engine's tests depend on berth-cli.)
 */
public final class ImageUser {
    private ImageUser() {}

    /** uid, gid and supplementary groups of a process, as runc's user.GetExecUser computes them. */
    public record ExecUser(long uid, long gid, List<Long> additionalGids) {}

    /**
     * {@code user}: "", "uid", "name", "uid:gid", "name:group" (and mixed). Names are looked up in
     * the image's /etc/passwd and /etc/group; a numeric uid without a passwd entry runs with gid 0.
     * Supplementary groups (the user's memberships in /etc/group) are added when no group is given.
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
