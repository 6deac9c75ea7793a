package dev.berth.cgroups;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The cgroup file systems of a host: the v1 hierarchies (one per controller or co-mounted group,
 * plus named ones like name=systemd) and the cgroup2 mount, if any, each with the cgroup this
 * process is in (for relative cgroupsPaths). {@link #detect()} reads /proc/self/mountinfo;
 * the {@code fake*} factories describe a tree in a temp dir for tests.
 */
public record CgroupLayout(Layout kind, List<Hierarchy> hierarchies, Path unifiedMount, String unifiedOwnPath, boolean fake) {

    /** A v1 hierarchy: its controllers ("cpu", "cpuacct", or "name=systemd"), mount point, and our cgroup in it. */
    public record Hierarchy(Set<String> controllers, Path mount, String ownPath) {
        public Hierarchy { controllers = java.util.Collections.unmodifiableSet(new LinkedHashSet<>(controllers)); }
    }

    static final Set<String> V1_CONTROLLERS = Set.of("cpu", "cpuacct", "cpuset", "memory", "devices", "freezer",
            "blkio", "pids", "net_cls", "net_prio", "hugetlb", "perf_event", "rdma", "misc");

    public CgroupLayout {
        hierarchies = List.copyOf(hierarchies);
    }

    /** The host's layout, from /proc/self/mountinfo and /proc/self/cgroup. */
    public static CgroupLayout detect() {
        try {
            return parse(Files.readString(Path.of("/proc/self/mountinfo")), Files.readString(Path.of("/proc/self/cgroup")));
        } catch (IOException e) {
            throw CgroupException.io("read", Path.of("/proc/self/mountinfo"), e);
        }
    }

    /** Parses mountinfo and /proc/self/cgroup text. */
    public static CgroupLayout parse(String mountinfo, String procCgroup) {
        Map<String, String> own = new HashMap<>(); // "cpu,cpuacct" or "" (v2) -> path
        for (String line : procCgroup.split("\n")) {
            String[] f = line.split(":", 3);
            if (f.length == 3) own.put(f[1], f[2]);
        }
        List<Hierarchy> v1 = new ArrayList<>();
        Set<Set<String>> seen = new java.util.HashSet<>();
        Path unified = null;
        String unifiedOwn = "/";
        for (String line : mountinfo.split("\n")) {
            String[] f = line.split(" ");
            int dash = Arrays.asList(f).indexOf("-");
            if (dash < 0 || f.length < dash + 4) continue;
            String fstype = f[dash + 1], root = unescape(f[3]);
            Path mount = Path.of(unescape(f[4]));
            if (fstype.equals("cgroup2")) {
                if (unified == null) {
                    unified = mount;
                    unifiedOwn = strip(own.getOrDefault("", "/"), root);
                }
            } else if (fstype.equals("cgroup")) {
                Set<String> ctrls = new LinkedHashSet<>();
                for (String o : f[dash + 3].split(","))
                    if (V1_CONTROLLERS.contains(o) || o.startsWith("name=")) ctrls.add(o);
                if (ctrls.isEmpty() || !seen.add(ctrls)) continue;
                String ownPath = "/";
                for (var e : own.entrySet())
                    if (!e.getKey().isEmpty() && Set.of(e.getKey().split(",")).equals(ctrls)) ownPath = strip(e.getValue(), root);
                v1.add(new Hierarchy(ctrls, mount, ownPath));
            }
        }
        if (v1.isEmpty() && unified == null) throw CgroupException.state("no cgroup file system mounted", Path.of("/proc/self/mountinfo"));
        Layout kind = v1.isEmpty() ? Layout.V2 : unified == null ? Layout.V1 : Layout.HYBRID;
        return new CgroupLayout(kind, v1, unified, unifiedOwn, false);
    }

    private static String strip(String path, String root) {
        if (root.equals("/") || !path.startsWith(root)) return path;
        String s = path.substring(root.length());
        return s.isEmpty() ? "/" : s;
    }

    private static String unescape(String s) {
        if (!s.contains("\\")) return s;
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else b.append(c);
        }
        return b.toString();
    }

    /** A fake v1 tree: {@code root/<controller>} per controller. */
    public static CgroupLayout fakeV1(Path root, String... controllers) {
        List<Hierarchy> h = new ArrayList<>();
        for (String c : controllers) h.add(new Hierarchy(Set.of(c.split(",")), root.resolve(c), "/"));
        return new CgroupLayout(Layout.V1, h, null, "/", true);
    }

    /** A fake hybrid tree: v1 controllers under {@code root/<controller>}, cgroup2 at {@code root/unified}. */
    public static CgroupLayout fakeHybrid(Path root, String... v1Controllers) {
        CgroupLayout v1 = fakeV1(root, v1Controllers);
        return new CgroupLayout(Layout.HYBRID, v1.hierarchies, root.resolve("unified"), "/", true);
    }

    /** A fake v2 tree rooted at {@code root}. */
    public static CgroupLayout fakeV2(Path root) {
        return new CgroupLayout(Layout.V2, List.of(), root, "/", true);
    }

    /** The same layout with this process's cgroup set to {@code own} in every hierarchy (tests of relative paths). */
    public CgroupLayout withOwnCgroup(String own) {
        return new CgroupLayout(kind, hierarchies.stream().map(h -> new Hierarchy(h.controllers, h.mount, own)).toList(),
                unifiedMount, own, fake);
    }

    /**
     * A cgroup file system as a container's {@code cgroup} mount projects it: the mount point (its
     * last component names the container's sub-mount), {@code cgroup} or {@code cgroup2}, and the
     * mount data that selects the hierarchy again (its controllers, e.g. {@code cpu,cpuacct} or
     * {@code name=systemd}; empty for cgroup2).
     */
    public record Mount(Path mountPoint, String fstype, String options) {
        public String name() { return mountPoint.getFileName().toString(); }
    }

    /**
     * The cgroup mounts of this layout, the v1 hierarchies first and then the cgroup2 mount: the
     * one list of cgroup file systems berth uses (the runtime's {@code cgroup} mounts too).
     */
    public List<Mount> mounts() {
        List<Mount> out = new ArrayList<>();
        for (Hierarchy h : hierarchies) out.add(new Mount(h.mount, "cgroup", String.join(",", h.controllers)));
        if (unifiedMount != null) out.add(new Mount(unifiedMount, "cgroup2", ""));
        return out;
    }

    /**
     * The cgroup mount {@code dir} lies in (the longest mount point it starts with), or null: which
     * hierarchy a container's cgroup directory belongs to, e.g. for the launcher's verbs record.
     */
    public Mount mountOf(Path dir) {
        Mount best = null;
        for (Mount m : mounts()) {
            if (dir.startsWith(m.mountPoint())
                    && (best == null || m.mountPoint().getNameCount() > best.mountPoint().getNameCount())) best = m;
        }
        return best;
    }

    /** The v1 hierarchy holding {@code controller}, or null. */
    public Hierarchy hierarchy(String controller) {
        for (Hierarchy h : hierarchies) if (h.controllers.contains(controller)) return h;
        return null;
    }

    public String describe() {
        StringBuilder b = new StringBuilder(kind.toString().toLowerCase());
        for (Hierarchy h : hierarchies) b.append(' ').append(String.join(",", h.controllers)).append('=').append(h.mount);
        if (unifiedMount != null) b.append(" unified=").append(unifiedMount);
        return b.toString();
    }
}
