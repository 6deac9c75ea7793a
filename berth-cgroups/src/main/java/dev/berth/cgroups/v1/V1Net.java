package dev.berth.cgroups.v1;

import dev.berth.cgroups.Resources;
import dev.berth.cgroups.fs.CgroupDir;
import dev.berth.cgroups.fs.Controller;
import dev.berth.cgroups.fs.Journal;

/** v1 net_cls.classid and net_prio.ifpriomap (one class for the two; each only where mounted). */
public final class V1Net implements Controller {
    private final String name;

    public V1Net(String name) { this.name = name; }

    @Override public String name() { return name; }

    @Override
    public void apply(CgroupDir d, Resources r, Journal j) {
        var n = r.network();
        if (n == null) return;
        if (name.equals("net_cls") && n.classID() != null) j.write(d.file("net_cls.classid"), Integer.toUnsignedString(n.classID()));
        if (name.equals("net_prio") && n.priorities() != null)
            for (var p : n.priorities()) j.writeRestoring(d.file("net_prio.ifpriomap"), p.name() + " " + p.priority(), p.name() + " 0");
    }
}
