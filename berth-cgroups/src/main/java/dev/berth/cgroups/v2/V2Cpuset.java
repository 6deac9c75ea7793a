package dev.berth.cgroups.v2;

import dev.berth.cgroups.CgroupException;
import dev.berth.cgroups.Resources;
import dev.berth.cgroups.Stats;
import dev.berth.cgroups.fs.CgroupDir;
import dev.berth.cgroups.fs.CgroupFiles;
import dev.berth.cgroups.fs.Controller;
import dev.berth.cgroups.fs.Journal;

import java.util.List;

/** v2 cpuset.cpus / cpuset.mems, checked against the parent's cpuset.*.effective. */
public final class V2Cpuset implements Controller {
    @Override public String name() { return "cpuset"; }

    @Override
    public void validate(CgroupDir d, Resources r) {
        var c = r.cpu();
        if (c == null) return;
        check(d, "cpuset.cpus", c.cpus(), "cpus");
        check(d, "cpuset.mems", c.mems(), "mems");
    }

    private static void check(CgroupDir d, String file, String want, String what) {
        if (want == null || want.isEmpty()) return;
        String eff = CgroupFiles.readOrNull(d.ancestorFile(file + ".effective"));
        if (eff == null) return;
        List<Integer> ok = CgroupFiles.parseList(eff);
        for (int i : CgroupFiles.parseList(want))
            if (!ok.contains(i)) throw CgroupException.badValue(file, want, "outside the online " + what + " " + eff);
    }

    @Override
    public void apply(CgroupDir d, Resources r, Journal j) {
        var c = r.cpu();
        if (c == null) return;
        if (c.cpus() != null && !c.cpus().isEmpty()) j.write(d.file("cpuset.cpus"), c.cpus());
        if (c.mems() != null && !c.mems().isEmpty()) j.write(d.file("cpuset.mems"), c.mems());
    }

    @Override
    public void stats(CgroupDir d, Stats.Builder b) {
        b.cpus = CgroupFiles.parseList(CgroupFiles.readOrNull(d.file("cpuset.cpus.effective")));
        b.mems = CgroupFiles.parseList(CgroupFiles.readOrNull(d.file("cpuset.mems.effective")));
    }
}
