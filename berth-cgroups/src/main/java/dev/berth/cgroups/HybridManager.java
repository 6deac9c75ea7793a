package dev.berth.cgroups;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Hybrid: the v1 hierarchies, plus the cgroup2 mount for the controllers that live only there
 * (on this project's hosts: hugetlb). The process joins both; v1 is authoritative for any
 * controller bound to a v1 hierarchy. crun refuses this layout; berth drives it.
 */
final class HybridManager extends BaseManager {

    HybridManager(CgroupLayout layout, CgroupPath path) {
        super(Layout.HYBRID, path.path(), hierarchies(layout, path), layout.fake());
    }

    private static List<Hier> hierarchies(CgroupLayout layout, CgroupPath path) {
        List<Hier> out = new ArrayList<>(V1Manager.hierarchies(layout, path));
        Set<String> inV1 = new HashSet<>();
        for (var h : layout.hierarchies()) inV1.addAll(h.controllers());
        Set<String> v2Only = new HashSet<>();
        Set<String> avail = RootControllers.of(layout.unifiedMount(), layout.fake());
        if (avail != null)
            for (String c : avail) {
                // v2 calls blkio "io": bound in v1 means not usable in v2
                String v1Name = c.equals("io") ? "blkio" : c;
                if (!inV1.contains(v1Name)) v2Only.add(c);
            }
        out.add(V2Manager.unified(layout, path, v2Only, !inV1.contains("freezer")));
        return out;
    }
}
