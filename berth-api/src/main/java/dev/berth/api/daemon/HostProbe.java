package dev.berth.api.daemon;

import dev.berth.api.system.SystemBackend.CgroupFacts;
import dev.berth.api.system.SystemBackend.HostFacts;
import dev.berth.cgroups.CgroupLayout;
import dev.berth.cgroups.Layout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * Reads the host's figures for /info and /version from the kernel's files: /proc/sys/kernel,
 * /proc/meminfo, /etc/os-release, and the cgroup mounts (berth-cgroups' {@link CgroupLayout}).
 * {@code root} is "/" except in tests, which point it at a fake tree.
 */
public final class HostProbe {
    private final Path root;

    public HostProbe(Path root) { this.root = root; }

    public HostFacts probe(CgroupLayout layout) {
        return new HostFacts(
                read("proc/sys/kernel/osrelease", "unknown"),
                osRelease("PRETTY_NAME", "Linux"),
                osRelease("VERSION_ID", ""),
                machine(),
                Runtime.getRuntime().availableProcessors(),
                memTotal(),
                read("proc/sys/kernel/hostname", "localhost"),
                read("proc/sys/net/ipv4/ip_forward", "0").equals("1"),
                cgroup(layout));
    }

    /** uname -m from the JVM's os.arch (the JVM runs natively here). */
    static String machine() {
        String a = System.getProperty("os.arch", "");
        return switch (a) {
            case "amd64" -> "x86_64";
            case "arm64" -> "aarch64";
            default -> a;
        };
    }

    String read(String rel, String fallback) {
        try {
            String s = Files.readString(root.resolve(rel)).trim();
            return s.isEmpty() ? fallback : s;
        } catch (IOException e) {
            return fallback;
        }
    }

    /** MemTotal of /proc/meminfo, in bytes. */
    long memTotal() {
        for (String line : read("proc/meminfo", "").split("\n")) {
            if (line.startsWith("MemTotal:")) {
                String[] f = line.substring(9).trim().split("\\s+");
                return Long.parseLong(f[0]) * (f.length > 1 && f[1].equalsIgnoreCase("kB") ? 1024 : 1);
            }
        }
        return 0;
    }

    /** A field of /etc/os-release (else /usr/lib/os-release), unquoted. */
    String osRelease(String key, String fallback) {
        String text = read("etc/os-release", "");
        if (text.isEmpty()) text = read("usr/lib/os-release", "");
        for (String line : text.split("\n")) {
            if (line.startsWith(key + "=")) {
                String v = line.substring(key.length() + 1).trim();
                if (v.length() >= 2 && (v.startsWith("\"") || v.startsWith("'"))) v = v.substring(1, v.length() - 1);
                return v;
            }
        }
        return fallback;
    }

    /** Which limits the cgroup hierarchies support, by the files the kernel offers. */
    static CgroupFacts cgroup(CgroupLayout layout) {
        if (layout.kind() == Layout.V2) {
            Path u = layout.unifiedMount();
            Set<String> ctrls = Set.of(readAbs(u.resolve("cgroup.controllers")).split("\\s+"));
            boolean mem = ctrls.contains("memory"), cpu = ctrls.contains("cpu");
            // The root cgroup has no memory.swap.max; a child has it when the kernel accounts swap.
            boolean swap = mem && anyChildHas(u, "memory.swap.max");
            return new CgroupFacts("2", mem, swap, false, cpu, cpu, cpu, ctrls.contains("cpuset"), ctrls.contains("pids"), false);
        }
        Path memory = mount(layout, "memory"), cpu = mount(layout, "cpu");
        boolean mem = memory != null;
        return new CgroupFacts("1", mem,
                mem && Files.exists(memory.resolve("memory.memsw.limit_in_bytes")),
                mem && Files.exists(memory.resolve("memory.kmem.tcp.limit_in_bytes")),
                cpu != null && Files.exists(cpu.resolve("cpu.cfs_period_us")),
                cpu != null && Files.exists(cpu.resolve("cpu.cfs_quota_us")),
                cpu != null && Files.exists(cpu.resolve("cpu.shares")),
                mount(layout, "cpuset") != null,
                mount(layout, "pids") != null,
                mem && Files.exists(memory.resolve("memory.oom_control")));
    }

    private static Path mount(CgroupLayout layout, String controller) {
        CgroupLayout.Hierarchy h = layout.hierarchy(controller);
        return h == null ? null : h.mount();
    }

    private static boolean anyChildHas(Path dir, String file) {
        try (var s = Files.list(dir)) {
            List<Path> kids = s.filter(Files::isDirectory).limit(64).toList();
            for (Path k : kids) if (Files.exists(k.resolve(file))) return true;
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    private static String readAbs(Path p) {
        try {
            return Files.readString(p).trim();
        } catch (IOException e) {
            return "";
        }
    }
}
