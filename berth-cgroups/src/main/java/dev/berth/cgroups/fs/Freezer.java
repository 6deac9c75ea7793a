package dev.berth.cgroups.fs;

import dev.berth.cgroups.FreezerState;

/** The controller that pauses the cgroup (v1 freezer.state, v2 cgroup.freeze). */
public interface Freezer extends Controller {
    void freeze(CgroupDir d);
    void thaw(CgroupDir d);
    FreezerState state(CgroupDir d);
}
