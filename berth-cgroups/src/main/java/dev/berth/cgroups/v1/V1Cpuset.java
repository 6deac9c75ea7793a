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
        // A new v1 cpuset starts empty and refuses tasks, unless its parent has clone_children=1.
        // Fill it from the parent (fixing an empty parent first, e.g. a /berth someone else made),
        // and set clone_children on the parent so the next sibling is born filled: one read, no
        // writes. The kernel copies cpus and mems together (cpuset_css_online), so cpus that are
        // there mean the mems are too (berth never leaves a parent with cpus and no mems).
        String cpus = CgroupFiles.readOrNull(d.file("cpuset.cpus"));
        if (cpus != null && !cpus.isEmpty()) return;
        for (String f : List.of("cpuset.cpus", "cpuset.mems")) fill(d.mount(), d.dir(), f);
        java.nio.file.Path clone = d.dir().getParent().resolve("cgroup.clone_children");
        if (!d.dir().getParent().equals(d.mount()) && "0".equals(CgroupFiles.readOrNull(clone))) CgroupFiles.write(clone, "1");
    }

    private static String fill(java.nio.file.Path mount, java.nio.file.Path dir, String f) {
        java.nio.file.Path parentDir = dir.getParent();
        if (dir.equals(mount) || !dir.startsWith(mount)) return CgroupFiles.readOrNull(dir.resolve(f));
        String parent = CgroupFiles.readOrNull(parentDir.resolve(f));
        if (parent != null && parent.isEmpty()) parent = fill(mount, parentDir, f);
        if (parent != null && !parent.isEmpty()) CgroupFiles.write(dir.resolve(f), parent);
        return parent;
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
