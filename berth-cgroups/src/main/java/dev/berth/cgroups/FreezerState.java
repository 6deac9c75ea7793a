package dev.berth.cgroups;

/** State of the cgroup freezer; a container whose cgroup reads FROZEN is "paused". */
public enum FreezerState { THAWED, FREEZING, FROZEN }
