package dev.berth.cgroups.v2;

import dev.berth.cgroups.CgroupException;
import dev.berth.cgroups.FreezerState;
import dev.berth.cgroups.Resources;
import dev.berth.cgroups.fs.CgroupDir;
import dev.berth.cgroups.fs.CgroupFiles;
import dev.berth.cgroups.fs.Freezer;
import dev.berth.cgroups.fs.Journal;

/** v2 cgroup.freeze; the state is "frozen 1" in cgroup.events. */
public final class V2Freezer implements Freezer {
    @Override public String name() { return "freezer"; }

    @Override public void apply(CgroupDir d, Resources r, Journal j) {}

    @Override
    public void freeze(CgroupDir d) {
        CgroupFiles.write(d.file("cgroup.freeze"), "1");
        waitFor(d, FreezerState.FROZEN);
    }

    @Override
    public void thaw(CgroupDir d) {
        CgroupFiles.write(d.file("cgroup.freeze"), "0");
        waitFor(d, FreezerState.THAWED);
    }

    private void waitFor(CgroupDir d, FreezerState want) {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (state(d) != want) {
            if (System.nanoTime() > deadline) throw CgroupException.state("cgroup.freeze: not " + want + " after 5s", d.dir());
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw CgroupException.state("interrupted", d.dir());
            }
        }
    }

    @Override
    public FreezerState state(CgroupDir d) {
        Long frozen = CgroupFiles.readKeyValues(d.file("cgroup.events")).get("frozen");
        String want = CgroupFiles.readOrNull(d.file("cgroup.freeze"));
        if (frozen == null) return "1".equals(want) ? FreezerState.FROZEN : FreezerState.THAWED; // fake tree / old kernel
        if (frozen == 1) return FreezerState.FROZEN;
        return "1".equals(want) ? FreezerState.FREEZING : FreezerState.THAWED;
    }
}
