package dev.berth.cgroups;

import dev.berth.cgroups.fs.CgroupDir;
import dev.berth.cgroups.fs.Controller;
import dev.berth.cgroups.v1.V1Blkio;
import dev.berth.cgroups.v1.V1Cpu;
import dev.berth.cgroups.v1.V1Cpuacct;
import dev.berth.cgroups.v1.V1Cpuset;
import dev.berth.cgroups.v1.V1Devices;
import dev.berth.cgroups.v1.V1Freezer;
import dev.berth.cgroups.v1.V1Hugetlb;
import dev.berth.cgroups.v1.V1Memory;
import dev.berth.cgroups.v1.V1Net;
import dev.berth.cgroups.v1.V1Pids;
import dev.berth.cgroups.v1.V1Rdma;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** cgroup v1: one directory per hierarchy (co-mounted controllers share one), named ones included. */
final class V1Manager extends BaseManager {

    V1Manager(CgroupLayout layout, CgroupPath path) {
        this(Layout.V1, layout, path);
    }

    V1Manager(Layout kind, CgroupLayout layout, CgroupPath path) {
        super(kind, path.path(), hierarchies(layout, path), layout.fake());
    }

    /** cpuset first: its sets must be filled before anything joins; devices last. */
    private static final List<String> ORDER = List.of("cpuset", "memory", "cpu", "cpuacct", "pids", "blkio", "hugetlb",
            "net_cls", "net_prio", "rdma", "freezer", "devices");

    static List<Hier> hierarchies(CgroupLayout layout, CgroupPath path) {
        List<Hier> out = new ArrayList<>();
        for (CgroupLayout.Hierarchy h : layout.hierarchies()) {
            Path dir = h.mount().resolve(path.under(h.ownPath()).substring(1));
            List<Controller> cs = new ArrayList<>();
            for (String c : ORDER)
                if (h.controllers().contains(c)) cs.add(controller(c));
            out.add(new Hier(new CgroupDir(h.mount(), dir), List.copyOf(cs), false));
        }
        return out;
    }

    static Controller controller(String name) {
        return switch (name) {
            case "cpuset" -> new V1Cpuset();
            case "memory" -> new V1Memory();
            case "cpu" -> new V1Cpu();
            case "cpuacct" -> new V1Cpuacct();
            case "pids" -> new V1Pids();
            case "blkio" -> new V1Blkio();
            case "hugetlb" -> new V1Hugetlb();
            case "net_cls", "net_prio" -> new V1Net(name);
            case "rdma" -> new V1Rdma();
            case "freezer" -> new V1Freezer();
            case "devices" -> new V1Devices();
            default -> throw new IllegalArgumentException(name);
        };
    }
}
