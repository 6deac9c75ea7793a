package dev.berth.cgroups.v1;

import dev.berth.cgroups.Resources;
import dev.berth.cgroups.Stats;
import dev.berth.cgroups.fs.CgroupDir;
import dev.berth.cgroups.fs.CgroupFiles;
import dev.berth.cgroups.fs.Controller;
import dev.berth.cgroups.fs.Journal;

/** pids.max (same files on v1 and v2); limit &lt;= 0 means "max". */
public final class V1Pids implements Controller {
    @Override public String name() { return "pids"; }

    @Override
    public void apply(CgroupDir d, Resources r, Journal j) {
        if (r.pids() == null || r.pids().limit() == null) return;
        long l = r.pids().limit();
        j.write(d.file("pids.max"), l > 0 ? Long.toString(l) : "max");
    }

    @Override
    public void stats(CgroupDir d, Stats.Builder b) {
        b.pidsCurrent = CgroupFiles.readLong(d.file("pids.current"));
        b.pidsLimit = CgroupFiles.readLong(d.file("pids.max"));
    }
}
