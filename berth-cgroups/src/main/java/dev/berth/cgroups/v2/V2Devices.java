package dev.berth.cgroups.v2;

import dev.berth.cgroups.Resources;
import dev.berth.cgroups.fs.CgroupDir;
import dev.berth.cgroups.fs.Controller;
import dev.berth.cgroups.fs.Journal;

/**
 * v2 device rules need a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the directory.
 * NOT IMPLEMENTED: rules are accepted (validated by ResourcesValidator) and not enforced; the
 * container's /dev still only holds the nodes the runtime creates.
 */
public final class V2Devices implements Controller {
    @Override public String name() { return "devices"; }

    @Override public void apply(CgroupDir d, Resources r, Journal j) {}
}
