package dev.berth.api.system;

/**
 * What the system endpoints ask of the engine. berthd's own implementation
 * ({@code dev.berth.api.daemon.LocalSystemBackend}) reads the host and the image store; the
 * container figures come from berth-engine once it exists (this interface is the seam: it may
 * move there).
 */
public interface SystemBackend {

    /** Facts about the host, as dockerd's /info reports them. */
    HostFacts host();

    /** Containers by state and images in the store, now. */
    Counts counts();

    /** This daemon: its stable ID and its state directory. */
    DaemonFacts daemon();

    /**
     * @param kernelVersion {@code uname -r}
     * @param operatingSystem PRETTY_NAME of os-release
     * @param osVersion VERSION_ID of os-release ("" if none)
     * @param architecture {@code uname -m} (x86_64)
     * @param hostname the host's name
     */
    record HostFacts(String kernelVersion, String operatingSystem, String osVersion, String architecture, int ncpu,
            long memTotal, String hostname, boolean ipv4Forwarding, CgroupFacts cgroup) {}

    /**
     * The cgroup file systems and which limits they support.
     *
     * @param version "1" (v1 or hybrid) or "2" (unified only), as dockerd reports it
     */
    record CgroupFacts(String version, boolean memoryLimit, boolean swapLimit, boolean kernelMemoryTcp, boolean cpuCfsPeriod,
            boolean cpuCfsQuota, boolean cpuShares, boolean cpuSet, boolean pidsLimit, boolean oomKillDisable) {}

    record Counts(int running, int paused, int stopped, int images) {
        public int containers() { return running + paused + stopped; }
    }

    /**
     * @param id stable across restarts (dockerd's engine-id)
     * @param backingFilesystem the file system type under rootDir (ext4, xfs, ...)
     */
    record DaemonFacts(String id, String rootDir, String backingFilesystem) {}
}
