package dev.berth.spec;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Consistency checks on a parsed {@link Spec} (types were checked by parsing). Each failure is a
 * {@link SpecException} naming the field and the value. Runs before anything is created on the host.
 */
public final class SpecValidator {
  public static final Set<String> NAMESPACE_TYPES =
      Set.of("pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time");
  private static final Set<String> PROPAGATION =
      Set.of("shared", "slave", "private", "unbindable", "rshared", "rslave", "rprivate", "runbindable");

  private SpecValidator() {}

  public static Spec validate(Spec spec) {
    if (!spec.ociVersion().startsWith("1.")) {
      throw new SpecException("ociVersion", "unsupported version \"" + spec.ociVersion() + "\" (1.x expected)");
    }
    if (spec.root() == null || spec.root().path().isEmpty()) throw new SpecException("root.path", "is required");
    if (spec.process() == null) throw new SpecException("process", "is required");
    validateProcess(spec.process(), "process");
    Linux linux = spec.linux();
    Set<String> seen = new HashSet<>();
    for (Linux.Namespace ns : linux.namespaces()) {
      if (!NAMESPACE_TYPES.contains(ns.type())) {
        throw new SpecException(ns.field() + ".type", "unknown namespace type \"" + ns.type() + "\"");
      }
      if (!seen.add(ns.type())) throw new SpecException(ns.field() + ".type", "duplicate namespace \"" + ns.type() + "\"");
      if (ns.path() != null && !ns.path().startsWith("/")) {
        throw new SpecException(ns.field() + ".path", "must be absolute: \"" + ns.path() + "\"");
      }
    }
    Linux.Namespace user = find(linux, "user");
    boolean mappings = !linux.uidMappings().isEmpty() || !linux.gidMappings().isEmpty();
    if (mappings && user == null) {
      throw new SpecException("linux.uidMappings", "id mappings given without a user namespace");
    }
    if (user != null && user.path() == null && (linux.uidMappings().isEmpty() || linux.gidMappings().isEmpty())) {
      throw new SpecException("linux.uidMappings", "a new user namespace needs uidMappings and gidMappings");
    }
    if (user != null && user.path() != null && mappings) {
      throw new SpecException("linux.uidMappings", "id mappings cannot be set when joining a user namespace");
    }
    checkMappings(linux.uidMappings(), "linux.uidMappings");
    checkMappings(linux.gidMappings(), "linux.gidMappings");
    if (spec.hostname() != null && !spec.hostname().isEmpty() && find(linux, "uts") == null) {
      throw new SpecException("hostname", "cannot set hostname without a private uts namespace");
    }
    if (spec.domainname() != null && !spec.domainname().isEmpty() && find(linux, "uts") == null) {
      throw new SpecException("domainname", "cannot set domainname without a private uts namespace");
    }
    for (int i = 0; i < spec.mounts().size(); i++) {
      Spec.Mount m = spec.mounts().get(i);
      cleanDestination(m.destination(), "mounts[" + i + "].destination");
      if (!m.uidMappings().isEmpty() || !m.gidMappings().isEmpty()) {
        throw new SpecException("mounts[" + i + "].uidMappings", "id-mapped mounts are not supported");
      }
      // runtime-spec 1.2: idmap/ridmap MUST give an id-mapped mount (or an error): not ignored
      for (String o : m.options()) {
        if (o.equals("idmap") || o.equals("ridmap")) {
          throw new SpecException("mounts[" + i + "].options", "\"" + o + "\": id-mapped mounts are not supported");
        }
      }
    }
    if (find(linux, "mount") == null) withoutMountNamespace(spec, linux);
    Spec.Hooks h = spec.hooks();
    java.util.Map<String, List<Spec.Hook>> stages = new java.util.LinkedHashMap<>();
    stages.put("prestart", h.prestart());
    stages.put("createRuntime", h.createRuntime());
    stages.put("createContainer", h.createContainer());
    stages.put("startContainer", h.startContainer());
    stages.put("poststart", h.poststart());
    stages.put("poststop", h.poststop());
    stages.forEach((stage, hooks) -> {
      for (int i = 0; i < hooks.size(); i++) absolute(hooks.get(i).path(), "hooks." + stage + "[" + i + "].path");
    });
    if (linux.rootfsPropagation() != null && !linux.rootfsPropagation().isEmpty()
        && !PROPAGATION.contains(linux.rootfsPropagation())) {
      throw new SpecException("linux.rootfsPropagation", "unknown propagation \"" + linux.rootfsPropagation() + "\"");
    }
    for (int i = 0; i < linux.maskedPaths().size(); i++) {
      absolute(linux.maskedPaths().get(i), "linux.maskedPaths[" + i + "]");
    }
    for (int i = 0; i < linux.readonlyPaths().size(); i++) {
      absolute(linux.readonlyPaths().get(i), "linux.readonlyPaths[" + i + "]");
    }
    for (int i = 0; i < linux.devices().size(); i++) {
      Linux.Device d = linux.devices().get(i);
      String f = "linux.devices[" + i + "]";
      if (!Set.of("c", "b", "u", "p").contains(d.type())) {
        throw new SpecException(f + ".type", "unknown device type \"" + d.type() + "\" (c, b, u or p)");
      }
      if (!d.path().startsWith("/dev/")) throw new SpecException(f + ".path", "must be under /dev: \"" + d.path() + "\"");
      cleanDestination(d.path(), f + ".path");
      if (d.uid() != null) checkId(d.uid(), f + ".uid");
      if (d.gid() != null) checkId(d.gid(), f + ".gid");
    }
    for (String key : linux.sysctl().keySet()) checkSysctl(key, linux);
    for (Linux.TimeOffset t : linux.timeOffsets()) {
      if (!t.clock().equals("monotonic") && !t.clock().equals("boottime")) {
        throw new SpecException("linux.timeOffsets", "unknown clock \"" + t.clock() + "\" (monotonic or boottime)");
      }
      if (find(linux, "time") == null) throw new SpecException("linux.timeOffsets", "needs a time namespace");
    }
    return spec;
  }

  /**
   * No mount namespace: the container shares the runtime's (the runtime-spec allows it); its root
   * is entered with chroot and nothing is mounted. What can only be done by mounting is refused,
   * since the mount would be the host's; sysctls, hooks, users, capabilities and seccomp still apply.
   */
  private static void withoutMountNamespace(Spec spec, Linux linux) {
    String why = "needs a mount namespace: linux.namespaces has no \"mount\", so it would be mounted on the host";
    if (!spec.mounts().isEmpty()) {
      throw new SpecException("mounts[0]", "\"" + spec.mounts().getFirst().destination() + "\" " + why);
    }
    if (!linux.maskedPaths().isEmpty()) {
      throw new SpecException("linux.maskedPaths", "\"" + linux.maskedPaths().getFirst() + "\" " + why);
    }
    if (!linux.readonlyPaths().isEmpty()) {
      throw new SpecException("linux.readonlyPaths", "\"" + linux.readonlyPaths().getFirst() + "\" " + why);
    }
    if (spec.root().readonly()) throw new SpecException("root.readonly", "a read-only root " + why);
    if (!linux.devices().isEmpty()) {
      throw new SpecException("linux.devices", "\"" + linux.devices().getFirst().path() + "\" " + why + " (in /dev)");
    }
    if (linux.rootfsPropagation() != null && !linux.rootfsPropagation().isEmpty()) {
      throw new SpecException("linux.rootfsPropagation", "needs a mount namespace: linux.namespaces has no \"mount\"");
    }
    if (spec.process().terminal()) {
      throw new SpecException("process.terminal", "the pty at /dev/console " + why);
    }
  }

  public static void validateProcess(Process p, String field) {
    checkId(p.user().uid(), field + ".user.uid");
    checkId(p.user().gid(), field + ".user.gid");
    for (int i = 0; i < p.user().additionalGids().size(); i++) {
      checkId(p.user().additionalGids().get(i), field + ".user.additionalGids[" + i + "]");
    }
    if (p.args().isEmpty()) throw new SpecException(field + ".args", "must name the program to run");
    if (p.args().getFirst().isEmpty()) throw new SpecException(field + ".args[0]", "is empty");
    if (!p.cwd().startsWith("/")) throw new SpecException(field + ".cwd", "must be absolute: \"" + p.cwd() + "\"");
    for (int i = 0; i < p.env().size(); i++) {
      if (p.env().get(i).indexOf('=') <= 0) {
        throw new SpecException(field + ".env[" + i + "]", "expected KEY=VALUE, got \"" + p.env().get(i) + "\"");
      }
    }
    Set<String> rlimitTypes = new HashSet<>();
    for (int i = 0; i < p.rlimits().size(); i++) {
      Process.Rlimit r = p.rlimits().get(i);
      if (!rlimitTypes.add(r.type())) {
        throw new SpecException(field + ".rlimits[" + i + "].type", "duplicate rlimit \"" + r.type() + "\"");
      }
      if (Long.compareUnsigned(r.soft(), r.hard()) > 0) {
        throw new SpecException(field + ".rlimits[" + i + "]", r.type() + ": soft limit " + Long.toUnsignedString(r.soft())
            + " is above hard limit " + Long.toUnsignedString(r.hard()));
      }
    }
    if (p.oomScoreAdj() != null && (p.oomScoreAdj() < -1000 || p.oomScoreAdj() > 1000)) {
      throw new SpecException(field + ".oomScoreAdj", "must be within -1000..1000, got " + p.oomScoreAdj());
    }
    if (p.user().umask() != null && (p.user().umask() < 0 || p.user().umask() > 0777)) {
      throw new SpecException(field + ".user.umask", "must be within 0..0777, got " + p.user().umask());
    }
  }

  /**
   * Lexically cleans an in-container destination: absolute, no component climbing above the root.
   * Returns the cleaned path ("/a/./b//c" → "/a/b/c").
   */
  public static String cleanDestination(String dest, String field) {
    if (dest == null || dest.isEmpty()) throw new SpecException(field, "is required");
    // runtime-spec 1.2: a relative destination (deprecated) MUST be taken as relative to "/"
    if (dest.indexOf('\0') >= 0) throw new SpecException(field, "contains a NUL byte");
    java.util.ArrayDeque<String> parts = new java.util.ArrayDeque<>();
    for (String c : dest.split("/")) {
      if (c.isEmpty() || c.equals(".")) continue;
      if (c.equals("..")) {
        if (parts.isEmpty()) throw new SpecException(field, "escapes the container root: \"" + dest + "\"");
        parts.removeLast();
      } else {
        parts.addLast(c);
      }
    }
    return "/" + String.join("/", parts);
  }

  private static void absolute(String path, String field) {
    if (!path.startsWith("/")) throw new SpecException(field, "must be absolute: \"" + path + "\"");
  }

  /**
   * The largest user or group id: ids are 32 bits and 2^32-1 is {@code (uid_t) -1}, which the kernel
   * takes as "leave unchanged" (setresuid, chown) or refuses (id maps). A larger value would be cut to
   * its low 32 bits on the way to the kernel (2^32 becomes 0: root).
   */
  public static final long MAX_ID = 0xFFFFFFFEL;

  /** Refuses a user or group id outside 0..2^32-2, naming the field. */
  public static void checkId(long id, String field) {
    if (id < 0 || id > MAX_ID) {
      throw new SpecException(field, "id out of range: " + Long.toUnsignedString(id) + " (0.." + MAX_ID + ")");
    }
  }

  private static void checkMappings(List<Spec.IdMapping> maps, String field) {
    for (int i = 0; i < maps.size(); i++) {
      Spec.IdMapping m = maps.get(i);
      String f = field + "[" + i + "]";
      checkId(m.containerID(), f + ".containerID");
      checkId(m.hostID(), f + ".hostID");
      if (m.size() == 0) throw new SpecException(f + ".size", "must be positive");
      // the last id mapped, containerID + size - 1 (hostID likewise), must be an id
      if (m.size() < 0 || m.size() > MAX_ID + 1) {
        throw new SpecException(f + ".size", "out of range: " + Long.toUnsignedString(m.size()) + " (1.." + (MAX_ID + 1) + ")");
      }
      if (m.containerID() + m.size() - 1 > MAX_ID) {
        throw new SpecException(f, "containerID " + m.containerID() + " + size " + m.size() + " goes past the largest id " + MAX_ID);
      }
      if (m.hostID() + m.size() - 1 > MAX_ID) {
        throw new SpecException(f, "hostID " + m.hostID() + " + size " + m.size() + " goes past the largest id " + MAX_ID);
      }
    }
  }

  private static void checkSysctl(String key, Linux linux) {
    String f = "linux.sysctl." + key;
    if (key.contains("/") || key.contains("..")) throw new SpecException(f, "invalid sysctl name");
    boolean ipc = key.startsWith("kernel.msg") || key.startsWith("kernel.sem") || key.startsWith("kernel.shm")
        || key.startsWith("fs.mqueue.");
    if (ipc) {
      if (find(linux, "ipc") == null) throw new SpecException(f, "needs an ipc namespace");
      return;
    }
    if (key.startsWith("net.")) {
      Linux.Namespace net = find(linux, "network");
      if (net == null) throw new SpecException(f, "needs a network namespace (it would change the host's)");
      return;
    }
    if (key.equals("kernel.hostname") || key.equals("kernel.domainname")) {
      if (find(linux, "uts") == null) throw new SpecException(f, "needs a uts namespace");
      return;
    }
    throw new SpecException(f, "not namespaced: it would change the host");
  }

  public static Linux.Namespace find(Linux linux, String type) {
    for (Linux.Namespace ns : linux.namespaces()) if (ns.type().equals(type)) return ns;
    return null;
  }
}
