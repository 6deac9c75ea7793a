package dev.berth.runtime.convert;

import static dev.berth.sys.Linux.MS_BIND;
import static dev.berth.sys.Linux.MS_NODEV;
import static dev.berth.sys.Linux.MS_NOEXEC;
import static dev.berth.sys.Linux.MS_NOSUID;
import static dev.berth.sys.Linux.MS_RDONLY;
import static dev.berth.sys.Linux.MS_REC;

import dev.berth.runtime.plan.Plan;
import dev.berth.runtime.plan.PlanTag;
import dev.berth.spec.Process;
import java.nio.file.Path;
import java.util.List;

/**
 * The plan of a debug session ({@code berth debug}): an exec plan that joins every namespace of
 * the container but its mount namespace, and instead gives the process a mount namespace of its
 * own rooted in a tools image ({@code T_DEBUG_ROOT}) with the container's root, a procfs of the
 * container's pid namespace, /dev and /sys mounted in it ({@code T_DEBUG_MOUNT}, T_MOUNT's
 * fields); the process joins the container's cgroups (its limits count it). docs/plan-format.md.
 */
public final class DebugPlan {
  private DebugPlan() {}

  /** Host device nodes bound into the session's /dev (as a container in a user namespace gets them). */
  static final List<String> DEVICES = List.of("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty");

  /**
   * @param toolsRoot the tools image's root on the host (a snapshot, mounted)
   * @param containerRoot the container's root filesystem on the host (bound at {@code mountAt})
   * @param mountAt where the container's root appears in the session, e.g. {@code /container}
   */
  public static Plan of(Process p, LaunchOptions o, int pid, List<String> namespaceTypes, List<Path> cgroupDirs,
      byte[] seccompBpf, int seccompFlags, Path toolsRoot, Path containerRoot, String mountAt) {
    if (!toolsRoot.isAbsolute() || !containerRoot.isAbsolute()) throw new IllegalArgumentException("debug: roots must be absolute");
    if (!mountAt.startsWith("/") || mountAt.equals("/") || mountAt.contains("..")) {
      throw new IllegalArgumentException("debug: the container's root must appear at an absolute path other than /: " + mountAt);
    }
    if (o.pidFile() == null || o.detach()) throw new IllegalArgumentException("debug: the launcher must wait for the session (pid file, not detached)");
    Plan plan = new Plan();
    SpecConverter.header(plan, o);
    if (namespaceTypes.contains("user")) plan.add(PlanTag.NAMESPACE, SpecConverter.CLONE_FLAGS.get("user"), "/proc/" + pid + "/ns/user");
    for (String t : namespaceTypes) {
      if (t.equals("user") || t.equals("mount") || t.equals("time")) continue;
      plan.add(PlanTag.NAMESPACE, SpecConverter.CLONE_FLAGS.get(t), "/proc/" + pid + "/ns/" + SpecConverter.PROC_NS.get(t));
    }
    plan.add(PlanTag.DEBUG_ROOT, toolsRoot);
    plan.add(PlanTag.DEBUG_MOUNT, containerRoot, mountAt, "", MS_BIND | MS_REC, "", 0, "dir");
    plan.add(PlanTag.DEBUG_MOUNT, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "", 0, "dir");
    plan.add(PlanTag.DEBUG_MOUNT, "tmpfs", "/dev", "tmpfs", MS_NOSUID, "mode=755,size=65536k", 0, "dir");
    plan.add(PlanTag.DEBUG_MOUNT, "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
        "newinstance,ptmxmode=0666,mode=0620", 0, "dir");
    plan.add(PlanTag.DEBUG_MOUNT, "shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k", 0, "dir");
    for (String d : DEVICES) plan.add(PlanTag.DEBUG_MOUNT, d, d, "", MS_BIND, "", 0, "file");
    plan.add(PlanTag.DEBUG_MOUNT, "sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, "", 0, "dir");
    for (Path d : cgroupDirs) plan.add(PlanTag.CGROUP, d);
    SpecConverter.process(plan, p, o, seccompBpf, seccompFlags, "");
    plan.add(PlanTag.EXEC_WAIT);
    return plan;
  }
}
