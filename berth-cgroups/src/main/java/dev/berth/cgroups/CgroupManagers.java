package dev.berth.cgroups;

/** Opens the {@link CgroupManager} for a container on this host, or on a given (fake) layout. */
public final class CgroupManagers {
    private CgroupManagers() {}

    private static volatile CgroupLayout host;

    /** The host's layout, read once from /proc/self/mountinfo. */
    public static CgroupLayout hostLayout() {
        CgroupLayout l = host;
        if (l == null) host = l = CgroupLayout.detect();
        return l;
    }

    /** @param cgroupsPath {@code linux.cgroupsPath} (null: {@code /berth/<id>}) */
    public static CgroupManager open(String cgroupsPath, String containerId) {
        return open(cgroupsPath, containerId, hostLayout());
    }

    /** @param defaultParent the parent when {@code cgroupsPath} is null: {@code /<defaultParent>/<id>} */
    public static CgroupManager open(String cgroupsPath, String containerId, String defaultParent) {
        return open(CgroupPath.resolve(cgroupsPath, containerId, defaultParent), hostLayout());
    }

    public static CgroupManager open(String cgroupsPath, String containerId, CgroupLayout layout) {
        return open(CgroupPath.resolve(cgroupsPath, containerId), layout);
    }

    public static CgroupManager open(CgroupPath p, CgroupLayout layout) {
        return switch (layout.kind()) {
            case V1 -> new V1Manager(layout, p);
            case HYBRID -> new HybridManager(layout, p);
            case V2 -> new V2Manager(layout, p);
        };
    }
}
