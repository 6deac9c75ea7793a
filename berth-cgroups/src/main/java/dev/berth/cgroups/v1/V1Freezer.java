package dev.berth.cgroups.v1;

import dev.berth.cgroups.CgroupException;
import dev.berth.cgroups.FreezerState;
import dev.berth.cgroups.Resources;
import dev.berth.cgroups.fs.CgroupDir;
import dev.berth.cgroups.fs.CgroupFiles;
import dev.berth.cgroups.fs.Freezer;
import dev.berth.cgroups.fs.Journal;

/** v1 freezer.state: FROZEN / THAWED, polled until the kernel reports the transition done. */
public final class V1Freezer implements Freezer {
    @Override public String name() { return "freezer"; }

    @Override public void apply(CgroupDir d, Resources r, Journal j) {}

    @Override
    public void freeze(CgroupDir d) {
        // The kernel may stay in FREEZING while tasks are in uninterruptible sleep: rewrite and poll.
        long deadline = System.nanoTime() + 5_000_000_000L;
        for (int i = 0; ; i++) {
            CgroupFiles.write(d.file("freezer.state"), "FROZEN");
            if (state(d) == FreezerState.FROZEN) return;
            if (System.nanoTime() > deadline) {
                CgroupFiles.write(d.file("freezer.state"), "THAWED");
                throw CgroupException.state("freezer.state: still FREEZING after 5s, thawed again", d.dir());
            }
            pause(i);
        }
    }

    @Override
    public void thaw(CgroupDir d) {
        CgroupFiles.write(d.file("freezer.state"), "THAWED");
        for (int i = 0; i < 1000 && state(d) != FreezerState.THAWED; i++) pause(i);
    }

    @Override
    public FreezerState state(CgroupDir d) {
        String s = CgroupFiles.readOrNull(d.file("freezer.state"));
        if (s == null) return FreezerState.THAWED;
        return switch (s) {
            case "FROZEN" -> FreezerState.FROZEN;
            case "FREEZING" -> FreezerState.FREEZING;
            default -> FreezerState.THAWED;
        };
    }

    static void pause(int i) {
        try {
            if (i < 50) java.util.concurrent.locks.LockSupport.parkNanos(100_000); else Thread.sleep(i < 100 ? 1 : 10);
            if (Thread.interrupted()) throw new InterruptedException();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CgroupException.state("interrupted", null);
        }
    }
}
