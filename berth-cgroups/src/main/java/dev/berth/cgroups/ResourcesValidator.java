package dev.berth.cgroups;

import dev.berth.cgroups.fs.CgroupFiles;

import java.util.List;
import java.util.regex.Pattern;

import static dev.berth.cgroups.CgroupException.badValue;

/**
 * Checks of {@link Resources} that need no cgroup: ranges, formats, consistency. Run before anything
 * is written. Checks against the live cgroup (online cpus, current usage) are the controllers'.
 * Resource names in errors are the OCI {@code linux.resources} paths.
 */
public final class ResourcesValidator {
    private ResourcesValidator() {}

    private static final Pattern PAGE_SIZE = Pattern.compile("\\d+(KB|MB|GB|TB)");
    private static final Pattern KEY = Pattern.compile("[a-z0-9_]+\\.[a-z0-9_.]+");

    public static void validate(Resources r) {
        if (r == null) return;
        var m = r.memory();
        if (m != null) {
            atLeast("memory.limit", m.limit(), -1, "negative (use -1 for unlimited)");
            atLeast("memory.reservation", m.reservation(), -1, "negative (use -1 for unlimited)");
            atLeast("memory.swap", m.swap(), -1, "negative (use -1 for unlimited)");
            atLeast("memory.kernel", m.kernel(), -1, "negative (use -1 for unlimited)");
            atLeast("memory.kernelTCP", m.kernelTCP(), -1, "negative (use -1 for unlimited)");
            if (m.swappiness() != null && (m.swappiness() < 0 || m.swappiness() > 100))
                throw badValue("memory.swappiness", m.swappiness(), "outside 0-100");
            if (m.swap() != null && m.limit() != null && m.swap() != -1 && m.limit() > 0 && m.swap() < m.limit())
                throw badValue("memory.swap", m.swap(), "below memory.limit " + m.limit() + " (swap is memory+swap)");
            if (m.swap() != null && m.limit() != null && m.swap() > 0 && m.limit() == -1)
                throw badValue("memory.swap", m.swap(), "set while memory.limit is unlimited");
        }
        var c = r.cpu();
        if (c != null) {
            if (c.shares() != null && (c.shares() < 2 || c.shares() > 262144))
                throw badValue("cpu.shares", c.shares(), "outside 2-262144");
            if (c.quota() != null && c.quota() != -1 && c.quota() < 1000)
                throw badValue("cpu.quota", c.quota(), "below 1000us (use -1 for no quota)");
            if (c.period() != null && (c.period() < 1000 || c.period() > 1_000_000))
                throw badValue("cpu.period", c.period(), "outside 1000-1000000us");
            atLeast("cpu.burst", c.burst(), 0, "negative");
            if (c.burst() != null && c.quota() != null && c.quota() > 0 && c.burst() > c.quota())
                throw badValue("cpu.burst", c.burst(), "above cpu.quota " + c.quota());
            atLeast("cpu.realtimeRuntime", c.realtimeRuntime(), -1, "negative");
            atLeast("cpu.realtimePeriod", c.realtimePeriod(), 1, "not positive");
            if (c.idle() != null && c.idle() != 0 && c.idle() != 1) throw badValue("cpu.idle", c.idle(), "not 0 or 1");
            list("cpu.cpus", c.cpus());
            list("cpu.mems", c.mems());
        }
        var b = r.blockIO();
        if (b != null) {
            weight("blockIO.weight", b.weight());
            weight("blockIO.leafWeight", b.leafWeight());
            if (b.weightDevice() != null) for (var w : b.weightDevice()) {
                device("blockIO.weightDevice", w.major(), w.minor());
                weight("blockIO.weightDevice[" + w.major() + ":" + w.minor() + "].weight", w.weight());
                weight("blockIO.weightDevice[" + w.major() + ":" + w.minor() + "].leafWeight", w.leafWeight());
            }
            throttles("blockIO.throttleReadBpsDevice", b.throttleReadBpsDevice());
            throttles("blockIO.throttleWriteBpsDevice", b.throttleWriteBpsDevice());
            throttles("blockIO.throttleReadIOPSDevice", b.throttleReadIOPSDevice());
            throttles("blockIO.throttleWriteIOPSDevice", b.throttleWriteIOPSDevice());
        }
        if (r.hugepageLimits() != null) for (var h : r.hugepageLimits()) {
            if (h.pageSize() == null || !PAGE_SIZE.matcher(h.pageSize()).matches())
                throw badValue("hugepageLimits.pageSize", h.pageSize(), "not a size like 2MB or 1GB");
            if (h.limit() < 0) throw badValue("hugepageLimits[" + h.pageSize() + "].limit", h.limit(), "negative");
        }
        if (r.devices() != null) {
            List<Resources.DeviceRule> d = r.devices();
            for (int i = 0; i < d.size(); i++) {
                var rule = d.get(i);
                String t = rule.type() == null ? "a" : rule.type();
                if (!List.of("a", "b", "c", "u").contains(t))
                    throw badValue("devices[" + i + "].type", t, "unknown device type (a, b, c or u)");
                if (rule.access() != null && !rule.access().matches("[rwm]*"))
                    throw badValue("devices[" + i + "].access", rule.access(), "not a subset of rwm");
                if (rule.major() != null && rule.major() < 0) throw badValue("devices[" + i + "].major", rule.major(), "negative");
                if (rule.minor() != null && rule.minor() < 0) throw badValue("devices[" + i + "].minor", rule.minor(), "negative");
            }
        }
        var n = r.network();
        if (n != null) {
            if (n.classID() != null && n.classID() < 0) throw badValue("network.classID", n.classID(), "negative");
            if (n.priorities() != null) for (var p : n.priorities()) {
                if (p.name() == null || p.name().isBlank() || p.name().contains(" "))
                    throw badValue("network.priorities.name", p.name(), "not an interface name");
                if (p.priority() < 0) throw badValue("network.priorities[" + p.name() + "]", p.priority(), "negative");
            }
        }
        if (r.rdma() != null) r.rdma().forEach((dev, v) -> {
            if (v.hcaHandles() != null && v.hcaHandles() < 0) throw badValue("rdma[" + dev + "].hcaHandles", v.hcaHandles(), "negative");
            if (v.hcaObjects() != null && v.hcaObjects() < 0) throw badValue("rdma[" + dev + "].hcaObjects", v.hcaObjects(), "negative");
        });
        if (r.unified() != null) r.unified().forEach((k, v) -> {
            if (!KEY.matcher(k).matches() || k.contains(".."))
                throw badValue("unified", k, "not a cgroup v2 file name");
            if (v == null || v.contains("\n")) throw badValue("unified[" + k + "]", v, "not a single-line value");
        });
    }

    private static void atLeast(String name, Long v, long min, String why) {
        if (v != null && v < min) throw badValue(name, v, why);
    }

    private static void weight(String name, Integer w) {
        if (w != null && w != 0 && (w < 10 || w > 1000)) throw badValue(name, w, "outside 10-1000");
    }

    private static void device(String name, long major, long minor) {
        if (major < 0 || minor < 0) throw badValue(name, major + ":" + minor, "negative device number");
    }

    private static void throttles(String name, List<Resources.ThrottleDevice> list) {
        if (list == null) return;
        for (var t : list) {
            device(name, t.major(), t.minor());
            if (t.rate() < 0) throw badValue(name + "[" + t.major() + ":" + t.minor() + "]", t.rate(), "negative");
        }
    }

    private static void list(String name, String list) {
        if (list == null || list.isEmpty()) return;
        try {
            CgroupFiles.parseList(list);
        } catch (NumberFormatException e) {
            throw badValue(name, list, "not a list like 0-3,5");
        }
    }
}
