package dev.berth.cgroups;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A container's cgroup path as runc reads {@code linux.cgroupsPath}: absolute = under each hierarchy's
 * root, relative = under this process's own cgroup, null = {@code /<default parent>/<id>} (the parent
 * is {@code berth} unless the caller names another), systemd form {@code slice:prefix:name} =
 * {@code /<expanded slice>/<prefix>-<name>.scope} (cgroupfs driver).
 */
public record CgroupPath(String path, boolean relative) {
    private static final Pattern SYSTEMD = Pattern.compile("([^/:]*):([^/:]*):([^/:]+)");

    /** The parent of containers whose config names no cgroupsPath, unless the caller chooses one. */
    public static final String DEFAULT_PARENT = "berth";

    public static CgroupPath resolve(String cgroupsPath, String containerId) {
        return resolve(cgroupsPath, containerId, DEFAULT_PARENT);
    }

    /** @param defaultParent one cgroup name, used when {@code cgroupsPath} is null or empty */
    public static CgroupPath resolve(String cgroupsPath, String containerId, String defaultParent) {
        if (cgroupsPath == null || cgroupsPath.isEmpty()) {
            if (!isName(containerId)) throw CgroupException.badValue("container id", containerId, "not usable as a cgroup name");
            if (!isName(defaultParent))
                throw CgroupException.badValue("cgroup parent", defaultParent, "must be one cgroup name (no '/', not starting with '.')");
            return new CgroupPath("/" + defaultParent + "/" + containerId, false);
        }
        var m = SYSTEMD.matcher(cgroupsPath);
        if (m.matches()) {
            String slice = m.group(1).isEmpty() ? "system.slice" : m.group(1);
            String name = m.group(3);
            String unit = name.endsWith(".slice") ? name : (m.group(2).isEmpty() ? name : m.group(2) + "-" + name) + ".scope";
            return new CgroupPath(expandSlice(slice, cgroupsPath) + "/" + unit, false);
        }
        boolean relative = !cgroupsPath.startsWith("/");
        List<String> parts = new ArrayList<>();
        for (String p : cgroupsPath.split("/")) {
            if (p.isEmpty() || p.equals(".")) continue;
            if (p.equals("..")) throw CgroupException.badValue("cgroupsPath", cgroupsPath, "must not contain ..");
            parts.add(p);
        }
        if (parts.isEmpty()) throw CgroupException.badValue("cgroupsPath", cgroupsPath, "names the root cgroup");
        return new CgroupPath((relative ? "" : "/") + String.join("/", parts), relative);
    }

    /** One directory name: not empty, no '/', not starting with '.', at most 255 bytes. */
    public static boolean isName(String s) {
        return s != null && !s.isEmpty() && s.length() <= 255 && !s.contains("/") && !s.startsWith(".") && s.indexOf('\0') < 0;
    }

    /** "a-b.slice" -> "/a.slice/a-b.slice"; "-.slice" -> "". */
    static String expandSlice(String slice, String whole) {
        if (!slice.endsWith(".slice") || slice.contains("/"))
            throw CgroupException.badValue("cgroupsPath", whole, "slice must end in .slice");
        if (slice.equals("-.slice")) return "";
        String base = slice.substring(0, slice.length() - ".slice".length());
        StringBuilder out = new StringBuilder();
        StringBuilder prefix = new StringBuilder();
        for (String comp : base.split("-")) {
            if (comp.isEmpty()) throw CgroupException.badValue("cgroupsPath", whole, "slice has an empty component");
            if (!prefix.isEmpty()) prefix.append('-');
            prefix.append(comp);
            out.append('/').append(prefix).append(".slice");
        }
        return out.toString();
    }

    /** The path below a hierarchy mount, given this process's cgroup there. Always starts with '/'. */
    public String under(String ownPath) {
        if (!relative) return path;
        String own = ownPath == null || ownPath.equals("/") ? "" : ownPath;
        return own + "/" + path;
    }
}
