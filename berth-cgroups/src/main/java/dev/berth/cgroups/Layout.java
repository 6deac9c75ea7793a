package dev.berth.cgroups;

/** Which cgroup backend a manager drives. */
public enum Layout {
    /** Legacy: one hierarchy per controller (or co-mounted group), no unified mount. */
    V1,
    /** v1 controllers plus a cgroup2 mount (typically /sys/fs/cgroup/unified) holding the rest. */
    HYBRID,
    /** Unified hierarchy only; controllers enabled through cgroup.subtree_control. */
    V2
}
