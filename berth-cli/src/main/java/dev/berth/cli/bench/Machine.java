package dev.berth.cli.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the figures were measured on: every figure carries it. */
public record Machine(int cores, String kernel, String cgroupLayout, String cpuModel, long memTotalKib, String hostname) {

    public static Machine here() {
        return new Machine(Runtime.getRuntime().availableProcessors(), read("/proc/sys/kernel/osrelease"), detectCgroupLayout(),
                detectCpuModel(), meminfo("MemTotal"), read("/proc/sys/kernel/hostname"));
    }

    /** v2 (unified at /sys/fs/cgroup), hybrid (v1 controllers and a v2 tree at /sys/fs/cgroup/unified) or v1. */
    static String detectCgroupLayout() {
        if (Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers"))) return "v2 (unified)";
        if (Files.isDirectory(Path.of("/sys/fs/cgroup/unified"))) return "hybrid (v1 controllers, v2 at /sys/fs/cgroup/unified)";
        return "v1";
    }

    /** The 1, 5 and 15 minute load averages now. */
    public static double[] loadAverage() {
        String[] f = read("/proc/loadavg").split("\\s+");
        return new double[] {Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2])};
    }

    /** A field of /proc/meminfo in KiB, or -1. */
    public static long meminfo(String key) {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/meminfo")))
                if (l.startsWith(key + ":")) return Long.parseLong(l.substring(key.length() + 1).trim().split("\\s+")[0]);
        } catch (IOException | NumberFormatException e) { /* fall through */ }
        return -1;
    }

    static String detectCpuModel() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/cpuinfo")))
                if (l.startsWith("model name")) return l.substring(l.indexOf(':') + 1).trim();
        } catch (IOException e) { /* fall through */ }
        return "unknown";
    }

    static String read(String p) {
        try { return Files.readString(Path.of(p)).trim(); } catch (IOException e) { return "unknown"; }
    }

    /** One line: "2 cores, kernel 6.18, cgroups hybrid (...), 23.5 GiB". */
    public String line() {
        return String.format("%d cores (%s), kernel %s, cgroups %s, %.1f GiB RAM", cores, cpuModel, kernel, cgroupLayout,
                memTotalKib / 1048576.0);
    }
}
