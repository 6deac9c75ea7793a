package dev.berth.cgroups;

import dev.berth.cgroups.fs.CgroupDir;
import dev.berth.cgroups.fs.Controller;
import dev.berth.cgroups.v1.V1Pids;
import dev.berth.cgroups.v1.V1Rdma;
import dev.berth.cgroups.v2.V2Cpu;
import dev.berth.cgroups.v2.V2Cpuset;
import dev.berth.cgroups.v2.V2Devices;
import dev.berth.cgroups.v2.V2Freezer;
import dev.berth.cgroups.v2.V2Hugetlb;
import dev.berth.cgroups.v2.V2Io;
import dev.berth.cgroups.v2.V2Memory;
import dev.berth.cgroups.v2.V2Unified;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** cgroup v2: one directory; controllers enabled through cgroup.subtree_control from the root down. */
final class V2Manager extends BaseManager {

    V2Manager(CgroupLayout layout, CgroupPath path) {
        super(Layout.V2, path.path(), List.of(unified(layout, path, null, true)), layout.fake());
    }

    /**
     * The unified hierarchy's directory with the v2 controllers in {@code only} (null: all), plus the
     * unified key/value writer, and the v2 freezer if {@code freezer}.
     */
    static Hier unified(CgroupLayout layout, CgroupPath path, Set<String> only, boolean freezer) {
        Path dir = layout.unifiedMount().resolve(path.under(layout.unifiedOwnPath()).substring(1));
        List<Controller> cs = new ArrayList<>();
        for (String c : List.of("cpuset", "memory", "cpu", "io", "pids", "hugetlb", "rdma")) {
            if (only != null && !only.contains(c)) continue;
            cs.add(switch (c) {
                case "cpuset" -> new V2Cpuset();
                case "memory" -> new V2Memory();
                case "cpu" -> new V2Cpu();
                case "io" -> new V2Io();
                case "pids" -> new V1Pids();
                case "hugetlb" -> new V2Hugetlb();
                case "rdma" -> new V1Rdma();
                default -> throw new IllegalArgumentException(c);
            });
        }
        if (freezer) cs.add(new V2Freezer());
        cs.add(new V2Unified());
        if (only == null) cs.add(new V2Devices()); // last: see V2Devices
        return new Hier(new CgroupDir(layout.unifiedMount(), dir), List.copyOf(cs), true);
    }
}
