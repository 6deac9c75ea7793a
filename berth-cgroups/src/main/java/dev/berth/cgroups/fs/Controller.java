package dev.berth.cgroups.fs;

import dev.berth.cgroups.Resources;
import dev.berth.cgroups.Stats;

/** One cgroup controller in one hierarchy: check, apply, account. */
public interface Controller {
    /** The kernel's name for it: memory, cpu, cpuset, pids, blkio/io, ... */
    String name();

    /** Read-only checks of {@code r} against the live cgroup (online cpus, current usage). Throws CgroupException. */
    default void validate(CgroupDir d, Resources r) {}

    /**
     * {@link #validate} for a directory this create just made: no process in it and every limit at the
     * kernel's default, so checks against usage or the limits in force can be skipped.
     */
    default void validateNew(CgroupDir d, Resources r) { validate(d, r); }

    /** Writes the parts of {@code r} this controller owns, through the journal. */
    void apply(CgroupDir d, Resources r, Journal j);

    /** Adds this controller's accounting to {@code b}. */
    default void stats(CgroupDir d, dev.berth.cgroups.Stats.Builder b) {}

    /** Called for each directory the manager had to create (parents first), before anything joins. */
    default void created(CgroupDir d) {}
}
