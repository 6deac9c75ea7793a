package dev.berth.runtime.state;

import dev.berth.cgroups.CgroupLayout;
import dev.berth.runtime.plan.Plan;
import dev.berth.runtime.plan.PlanTag;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code <root>/<id>/verbs}: what the launcher's JVM-less verbs (berth-native verbs.c: state, kill,
 * delete, start, pause, resume, ps) need to know about a container, in the plan format (the launcher
 * parses no JSON): the fields of runc's state JSON that do not change, the cgroup directories and
 * whether the JVM must run hooks for start or delete, and for the launcher's {@code update}
 * (update.c) each hierarchy's controllers with the container's directory there. Written at create,
 * whole or not at all; a container without it (an older berth's, or a create killed before it)
 * takes the JVM path.
 */
public final class VerbsRecord {
  public static final String FILE = "verbs";

  private VerbsRecord() {}

  /**
   * @param cgroups the container's directory in every hierarchy
   * @param layout the host's cgroup mounts: which hierarchy each of {@code cgroups} is in
   * @param poststart the config has poststart hooks (the JVM runs them after start)
   * @param poststop the config has poststop hooks (the JVM runs them at delete)
   */
  public static byte[] encode(ContainerRecord r, List<Path> cgroups, CgroupLayout layout, boolean poststart,
      boolean poststop) {
    Plan p = new Plan();
    p.add(PlanTag.VERBS_STATE, r.ociVersion().isEmpty() ? "1.2.0" : r.ociVersion(), r.id(), r.bundle(), r.rootfs(),
        r.created(), r.owner(), r.monitored() ? "1" : "0");
    for (Map.Entry<String, String> e : r.annotations().entrySet()) p.add(PlanTag.VERBS_ANNOTATION, e.getKey(), e.getValue());
    for (Path c : cgroups) p.add(PlanTag.VERBS_CGROUP, c);
    p.add(PlanTag.VERBS_HOOKS, poststart ? "1" : "0", poststop ? "1" : "0");
    for (Path c : cgroups) {
      CgroupLayout.Mount m = layout.mountOf(c);
      if (m == null) throw new IllegalStateException("cgroup directory " + c + " is under no cgroup mount (" + layout.describe() + ")");
      p.add(PlanTag.VERBS_CONTROLLERS, m.fstype().equals("cgroup2") ? "" : m.options(), c);
    }
    return p.encode();
  }
}
