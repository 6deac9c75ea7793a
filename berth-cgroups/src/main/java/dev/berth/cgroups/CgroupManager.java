package dev.berth.cgroups;

import java.nio.file.Path;
import java.util.List;

/**
 * One container's cgroup, in every hierarchy the host has. Obtained from {@link CgroupManagers#open}.
 * All writes are all-or-nothing: a failing {@link #create} removes what it made, a failing
 * {@link #update} restores the values read before it started; both throw {@link CgroupException}.
 */
public interface CgroupManager {

    /** Which backend: v1, hybrid or v2. */
    Layout layout();

    /** The cgroup path inside each hierarchy, e.g. {@code /berth/abc}. */
    String cgroupPath();

    /** mkdir in every hierarchy (parents included), then apply {@code r}. On failure, removes what it created. */
    void create(Resources r);

    /** Directories whose {@code cgroup.procs} a process must be written to (one per hierarchy). */
    List<Path> paths();

    /** Moves {@code pid} into this cgroup in every hierarchy. */
    void addProcess(int pid);

    /** Changes the limits on a live cgroup; only the fields set in {@code r} are touched. */
    void update(Resources r);

    void freeze();

    void thaw();

    FreezerState freezerState();

    Stats stats();

    /** Pids of all processes in the cgroup (union over hierarchies), ascending. */
    List<Integer> pids();

    /** SIGKILL whatever is left (frozen first, so nothing forks), wait, rmdir in every hierarchy; idempotent. */
    void destroy();

    /** True if the cgroup directory exists in at least one hierarchy. */
    boolean exists();

    /**
     * Starts watching for OOM events (v1: eventfd on memory.oom_control; v2: memory.events via inotify),
     * calling {@code listener} from a daemon thread for each. Close the handle to stop.
     */
    default AutoCloseable onOom(Runnable listener) {
        throw new UnsupportedOperationException("oom notifications not supported by " + layout());
    }
}
