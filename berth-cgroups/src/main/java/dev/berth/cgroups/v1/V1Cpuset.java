package dev.berth.cgroups.v1;

import dev.berth.cgroups.CgroupException;
import dev.berth.cgroups.Resources;
import dev.berth.cgroups.Stats;
import dev.berth.cgroups.fs.CgroupDir;
import dev.berth.cgroups.fs.CgroupFiles;
import dev.berth.cgroups.fs.Controller;
import dev.berth.cgroups.fs.Journal;

import java.util.List;

/** v1 cpuset: cpus and mems, checked against the parent's effective sets. */
public final class V1Cpuset implements Controller {
    @Override public String name() { return "cpuset"; }

    @Override
    public void created(CgroupDir d) {
        // A new v1 cpuset starts empty and refuses tasks: inherit the parent's sets.
        for (String f : List.of("cpuset.cpus", "cpuset.mems")) {
            String cur = CgroupFiles.readOrNull(d.file(f));
            if (cur != null && cur.isEmpty()) {
                String parent = CgroupFiles.read(d.dir().getParent().resolve(f));
                CgroupFiles.write(d.file(f), parent);
            }
        }
    }

    @Override
    public void validate(CgroupDir d, Resources r) {
        var c = r.cpu();
        if (c == null) return;
        check("cpuset.cpus", c.cpus(), d, "cpus");
        check("cpuset.mems", c.mems(), d, "mems");
    }

    private static void check(String file, String want, CgroupDir d, String what) {
        if (want == null || want.isEmpty()) return;
        String eff = effective(d, file);
        List<Integer> allowed = CgroupFiles.parseList(eff);
        for (int i : CgroupFiles.parseList(want))
            if (!allowed.contains(i)) throw CgroupException.badValue(file, want, "outside the online " + what + " " + eff);
    }

    static String effective(CgroupDir d, String file) {
        String effName = file.replace("cpuset.", "cpuset.effective_");
        java.nio.file.Path p = d.ancestorFile(effName);
        String eff = CgroupFiles.readOrNull(p);
        if (eff == null || eff.isEmpty()) eff = CgroupFiles.readOrNull(d.ancestorFile(file));
        return eff == null ? "" : eff;
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
        String cpus = CgroupFiles.readOrNull(d.file("cpuset.effective_cpus"));
        String mems = CgroupFiles.readOrNull(d.file("cpuset.effective_mems"));
        b.cpus = CgroupFiles.parseList(cpus != null && !cpus.isEmpty() ? cpus : CgroupFiles.readOrNull(d.file("cpuset.cpus")));
        b.mems = CgroupFiles.parseList(mems != null && !mems.isEmpty() ? mems : CgroupFiles.readOrNull(d.file("cpuset.mems")));
    }

}
