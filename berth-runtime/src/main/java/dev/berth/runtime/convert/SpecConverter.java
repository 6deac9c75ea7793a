package dev.berth.runtime.convert;

import static dev.berth.sys.Linux.MS_BIND;
import static dev.berth.sys.Linux.MS_NODEV;
import static dev.berth.sys.Linux.MS_NOEXEC;
import static dev.berth.sys.Linux.MS_NOSUID;
import static dev.berth.sys.Linux.MS_RDONLY;
import static dev.berth.sys.Linux.MS_REC;
import static dev.berth.sys.Linux.MS_SLAVE;

import dev.berth.cgroups.CgroupLayout;
import dev.berth.runtime.plan.Plan;
import dev.berth.runtime.plan.PlanTag;
import dev.berth.spec.Linux;
import dev.berth.spec.Process;
import dev.berth.spec.Spec;
import dev.berth.spec.SpecException;
import dev.berth.spec.SpecValidator;
import dev.berth.sys.Capabilities;
import dev.berth.sys.Rlimits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a validated {@link Spec} plus {@link LaunchOptions} into the launcher's {@link Plan}. Every
 * decision that does not need the new namespaces is taken here: mount flags, bind sources,
 * cgroup mounts, default devices, capability masks, hook state.
 */
public final class SpecConverter {
  public static final Map<String, Long> CLONE_FLAGS = Map.of(
      "user", 0x10000000L, "pid", 0x20000000L, "network", 0x40000000L, "mount", 0x00020000L,
      "ipc", 0x08000000L, "uts", 0x04000000L, "cgroup", 0x02000000L, "time", 0x00000080L);
  public static final Map<String, String> PROC_NS = Map.of(
      "user", "user", "pid", "pid", "network", "net", "mount", "mnt", "ipc", "ipc", "uts", "uts",
      "cgroup", "cgroup", "time", "time");


  private record Dev(String path, char type, long major, long minor) {}

  /** runc's default devices: always present, linux.devices may add or override. */
  private static final List<Dev> DEFAULT_DEVICES = List.of(
      new Dev("/dev/null", 'c', 1, 3), new Dev("/dev/zero", 'c', 1, 5), new Dev("/dev/full", 'c', 1, 7),
      new Dev("/dev/random", 'c', 1, 8), new Dev("/dev/urandom", 'c', 1, 9), new Dev("/dev/tty", 'c', 5, 0));

  private SpecConverter() {}

  /** The plan for create or run. {@code cgroupDirs}: the container's cgroup in every hierarchy. */
  public static Plan containerPlan(Spec spec, LaunchOptions o, Path rootfs, List<Path> cgroupDirs,
      byte[] seccompBpf, int seccompFlags, List<CgroupLayout.Mount> hierarchies) {
    Plan plan = new Plan();
    header(plan, o);
    Linux linux = spec.linux();
    long propagation = linux.rootfsPropagation() == null || linux.rootfsPropagation().isEmpty()
        ? MS_SLAVE | MS_REC : MountOptions.propagation(linux.rootfsPropagation());
    plan.add(PlanTag.ROOTFS, rootfs, bit(spec.root().readonly()), bit(o.noPivot()), propagation);
    Linux.Namespace user = SpecValidator.find(linux, "user");
    if (user != null) plan.add(PlanTag.NAMESPACE, CLONE_FLAGS.get("user"), nz(user.path()));
    for (Linux.Namespace ns : linux.namespaces()) {
      if (!ns.type().equals("user")) plan.add(PlanTag.NAMESPACE, CLONE_FLAGS.get(ns.type()), nz(ns.path()));
    }
    for (Spec.IdMapping m : linux.uidMappings()) plan.add(PlanTag.UID_MAP, m.containerID(), m.hostID(), m.size());
    for (Spec.IdMapping m : linux.gidMappings()) plan.add(PlanTag.GID_MAP, m.containerID(), m.hostID(), m.size());
    if (spec.hostname() != null && !spec.hostname().isEmpty()) plan.add(PlanTag.HOSTNAME, spec.hostname());
    if (spec.domainname() != null && !spec.domainname().isEmpty()) plan.add(PlanTag.DOMAINNAME, spec.domainname());
    for (Linux.TimeOffset t : linux.timeOffsets()) plan.add(PlanTag.TIME_OFFSET, t.clock(), t.secs(), t.nanosecs());

    boolean cgroupNs = SpecValidator.find(linux, "cgroup") != null;
    for (int i = 0; i < spec.mounts().size(); i++) {
      mount(plan, spec.mounts().get(i), "mounts[" + i + "]", o.bundle(), cgroupNs, cgroupDirs, hierarchies);
    }
    // Without a mount namespace nothing is mounted and no device made: the rootfs's /dev is as is.
    if (SpecValidator.find(linux, "mount") != null) devices(plan, linux, user != null);
    for (String p : linux.maskedPaths()) plan.add(PlanTag.MASKED, p);
    for (String p : linux.readonlyPaths()) plan.add(PlanTag.READONLY_PATH, p);
    linux.sysctl().forEach((k, v) -> plan.add(PlanTag.SYSCTL, k, v));
    for (Path d : cgroupDirs) plan.add(PlanTag.CGROUP, d);
    if (linux.personality() != null) plan.add(PlanTag.PERSONALITY, linux.personality());

    process(plan, spec.process(), o, seccompBpf, seccompFlags,
        seccompBpf == null ? "" : SeccompConverter.deathHint(spec.linux().seccomp()));
    boolean listener = seccompBpf != null && spec.linux().seccomp().optString("listenerPath") != null;
    if (listener) {
      String meta = spec.linux().seccomp().optString("listenerMetadata");
      plan.add(PlanTag.SECCOMP_LISTENER, spec.linux().seccomp().optString("listenerPath"), meta == null ? "" : meta);
    }
    hooks(plan, spec, o, listener);
    plan.add(PlanTag.EXEC_FIFO, o.stateDir().resolve("exec.fifo"));
    if (o.monitorExitFile() != null) plan.add(PlanTag.MONITOR, o.monitorExitFile());
    if (o.io() != null) monitorIo(plan, spec, o);

    // Undo list, in order: processes and cgroups first, then the state directory's files, then itself.
    for (Path d : cgroupDirs) plan.add(PlanTag.KILL_CGROUP, d);
    for (String f : List.of("exec.fifo", "pid", "exit", "state.json", "config.json", "creator", "monitor",
        "keeper", "verbs")) {
      plan.add(PlanTag.CLEANUP, o.stateDir().resolve(f));
    }
    plan.add(PlanTag.CLEANUP, o.stateDir());
    // The default parent (/berth) goes with its last container; rmdir fails harmlessly while others live.
    if (spec.linux().cgroupsPath() == null) {
      for (Path d : cgroupDirs) if (d.getParent() != null) plan.add(PlanTag.CLEANUP, d.getParent());
    }
    return plan;
  }

  /**
   * The monitor keeps the stdio (docs/plan-format.md, "The monitor's stdio"): only a detached
   * monitor can (the records mean nothing to a launcher that exits), and a pty it holds itself
   * excludes one sent over a console socket.
   */
  private static void monitorIo(Plan plan, Spec spec, LaunchOptions o) {
    MonitorIo io = o.io();
    if (o.monitorExitFile() == null || !o.action().equals("run")) {
      throw new IllegalArgumentException("monitor-kept stdio needs a detached run (a monitor), not " + o.action());
    }
    if (o.consoleSocket() != null) {
      throw new IllegalArgumentException("monitor-kept stdio and a console socket exclude each other");
    }
    if (io.jsonLog() == null || io.controlSocket() == null) {
      throw new IllegalArgumentException("monitor-kept stdio needs both a log path and a control socket path");
    }
    if (io.controlSocket().toAbsolutePath().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 107) {
      throw new IllegalArgumentException("control socket path longer than a unix socket allows (107 bytes): "
          + io.controlSocket());
    }
    plan.add(PlanTag.LOG_JSON, io.jsonLog().toAbsolutePath());
    plan.add(PlanTag.CONTROL_SOCKET, io.controlSocket().toAbsolutePath());
    if (io.openStdin()) plan.add(PlanTag.OPEN_STDIN);
    if (io.maxSize() > 0) plan.add(PlanTag.LOG_ROTATE, io.maxSize(), io.maxFile());
  }

  /** The plan for exec into the running container whose init is {@code pid}. */
  public static Plan execPlan(Process p, LaunchOptions o, int pid, List<String> namespaceTypes,
      List<Path> cgroupDirs, byte[] seccompBpf, int seccompFlags) {
    Plan plan = new Plan();
    header(plan, o);
    if (namespaceTypes.contains("user")) plan.add(PlanTag.NAMESPACE, CLONE_FLAGS.get("user"), "/proc/" + pid + "/ns/user");
    for (String t : namespaceTypes) {
      if (!t.equals("user")) plan.add(PlanTag.NAMESPACE, CLONE_FLAGS.get(t), "/proc/" + pid + "/ns/" + PROC_NS.get(t));
    }
    // No mount namespace to join (the container shares the runtime's): enter the init's root.
    if (!namespaceTypes.contains("mount")) plan.add(PlanTag.ROOTFS, "/proc/" + pid + "/root", 0, 0, 0);
    for (Path d : cgroupDirs) plan.add(PlanTag.CGROUP, d);
    process(plan, p, o, seccompBpf, seccompFlags, "");
    if (o.pidFile() != null && !o.detach()) plan.add(PlanTag.EXEC_WAIT);
    return plan;
  }

  static void header(Plan plan, LaunchOptions o) {
    plan.add(PlanTag.ACTION, o.action());
    plan.add(PlanTag.ID, o.id());
    plan.add(PlanTag.STATE_DIR, o.stateDir());
    if (o.bundle() != null) plan.add(PlanTag.BUNDLE, o.bundle());
    if (o.pidFile() != null) plan.add(PlanTag.PID_FILE, o.pidFile());
    if (o.consoleSocket() != null) plan.add(PlanTag.CONSOLE_SOCKET, o.consoleSocket());
    if (o.logFile() != null) plan.add(PlanTag.LOG, o.logFile(), o.logFormat() == null ? "text" : o.logFormat());
    if (o.preserveFds() > 0) plan.add(PlanTag.PRESERVE_FDS, o.preserveFds());
  }

  static void process(Plan plan, Process p, LaunchOptions o, byte[] seccompBpf, int seccompFlags, String seccompHint) {
    plan.add(PlanTag.ARGS, p.args());
    plan.add(PlanTag.ENV, p.env());
    plan.add(PlanTag.CWD, p.cwd());
    List<Object> user = new ArrayList<>();
    user.add(p.user().uid());
    user.add(p.user().gid());
    user.add(p.user().umask() == null ? "" : Integer.toOctalString(p.user().umask()));
    user.addAll(p.user().additionalGids());
    plan.add(PlanTag.USER, user);
    for (int i = 0; i < p.rlimits().size(); i++) {
      Process.Rlimit r = p.rlimits().get(i);
      int res;
      try {
        res = Rlimits.resource(r.type());
      } catch (IllegalArgumentException e) {
        throw new SpecException("process.rlimits[" + i + "].type", "unknown rlimit \"" + r.type() + "\"");
      }
      plan.add(PlanTag.RLIMIT, res, Long.toUnsignedString(r.soft()), Long.toUnsignedString(r.hard()));
    }
    Process.Capabilities c = p.capabilities();
    long inheritable = caps(c.inheritable(), "inheritable");
    long permitted = caps(c.permitted(), "permitted");
    // The kernel only raises an ambient capability that is permitted and inheritable; like runc,
    // the others are left out rather than failing the container.
    long ambient = caps(c.ambient(), "ambient") & inheritable & permitted;
    plan.add(PlanTag.CAPS, Long.toUnsignedString(caps(c.bounding(), "bounding")),
        Long.toUnsignedString(caps(c.effective(), "effective")), Long.toUnsignedString(inheritable),
        Long.toUnsignedString(permitted), Long.toUnsignedString(ambient));
    if (p.noNewPrivileges()) plan.add(PlanTag.NO_NEW_PRIVS);
    if (p.oomScoreAdj() != null) plan.add(PlanTag.OOM_SCORE_ADJ, p.oomScoreAdj());
    if (p.terminal()) {
      var size = p.consoleSize();
      plan.add(PlanTag.TERMINAL, size == null ? 0 : size.height(), size == null ? 0 : size.width());
    }
    if (seccompBpf != null) plan.add(PlanTag.SECCOMP, seccompBpf, seccompFlags, seccompHint);
    if (p.apparmorProfile() != null && !p.apparmorProfile().isEmpty() && HostSecurity.apparmor()) {
      plan.add(PlanTag.APPARMOR, p.apparmorProfile());
    }
    if (p.selinuxLabel() != null && !p.selinuxLabel().isEmpty() && HostSecurity.selinux()) {
      plan.add(PlanTag.SELINUX, p.selinuxLabel());
    }
  }

  private static long caps(List<String> names, String set) {
    try {
      return Capabilities.mask(names);
    } catch (IllegalArgumentException e) {
      throw new SpecException("process.capabilities." + set, e.getMessage());
    }
  }

  private static void mount(Plan plan, Spec.Mount m, String field, Path bundle, boolean cgroupNs,
      List<Path> cgroupDirs, List<CgroupLayout.Mount> hierarchies) {
    String dest = SpecValidator.cleanDestination(m.destination(), field + ".destination");
    MountOptions opt = MountOptions.parse(m.options());
    String type = m.type() == null ? "" : m.type();
    boolean bind = (opt.flags() & MS_BIND) != 0 || type.equals("bind");
    if (type.equals("cgroup") || type.equals("cgroup2")) {
      cgroupMounts(plan, dest, opt, cgroupNs, cgroupDirs, hierarchies);
      return;
    }
    if (bind) {
      if (m.source() == null || m.source().isEmpty()) throw new SpecException(field + ".source", "is required for a bind mount");
      Path src = bundle.resolve(m.source()).normalize();
      if (!Files.exists(src)) throw new SpecException(field + ".source", "no such file or directory: " + src);
      String kind = Files.isDirectory(src) ? "dir" : "file";
      plan.add(PlanTag.MOUNT, src, dest, "", opt.flags() | MS_BIND, opt.data(), opt.propagation(), kind);
      return;
    }
    if (type.isEmpty()) throw new SpecException(field + ".type", "is required (or use the bind option)");
    String source = m.source() == null || m.source().isEmpty() ? type : m.source();
    plan.add(PlanTag.MOUNT, source, dest, type, opt.flags(), opt.data(), opt.propagation(), "dir");
  }

  /**
   * A {@code cgroup} mount becomes a tmpfs with one mount per host hierarchy: with a private cgroup
   * namespace, the cgroup filesystem itself (its root is the container's cgroup); without one, a
   * read-only bind of the container's own cgroup directory, so the host tree is never exposed.
   */
  private static void cgroupMounts(Plan plan, String dest, MountOptions opt, boolean cgroupNs, List<Path> cgroupDirs,
      List<CgroupLayout.Mount> hierarchies) {
    long base = (opt.flags() | MS_NOSUID | MS_NODEV | MS_NOEXEC) & ~MS_BIND;
    plan.add(PlanTag.MOUNT, "tmpfs", dest, "tmpfs", base & ~MS_RDONLY, "mode=755", 0, "dir");
    for (CgroupLayout.Mount h : hierarchies) {
      String sub = dest + "/" + h.name();
      if (cgroupNs) {
        String data = h.fstype().equals("cgroup2") ? "" : h.options();
        plan.add(PlanTag.MOUNT, h.fstype(), sub, h.fstype(), base, data, 0, "dir");
      } else {
        Path own = null;
        for (Path d : cgroupDirs) if (d.startsWith(h.mountPoint())) own = d;
        if (own == null) continue;
        plan.add(PlanTag.MOUNT, own, sub, "", base | MS_BIND, "", 0, "dir");
      }
    }
  }

  private static void devices(Plan plan, Linux linux, boolean userNs) {
    Map<String, Object[]> devs = new LinkedHashMap<>();
    for (Dev d : DEFAULT_DEVICES) {
      devs.put(d.path(), new Object[] {d.path(), String.valueOf(d.type()), d.major(), d.minor(), 0666, 0, 0, bit(userNs)});
    }
    for (Linux.Device d : linux.devices()) {
      String type = d.type().equals("u") ? "c" : d.type();
      devs.put(d.path(), new Object[] {SpecValidator.cleanDestination(d.path(), "linux.devices"), type, d.major(),
          d.minor(), d.fileMode() == null ? 0666 : d.fileMode(), d.uid() == null ? 0 : d.uid(),
          d.gid() == null ? 0 : d.gid(), bit(userNs)});
    }
    for (Object[] d : devs.values()) plan.add(PlanTag.DEVICE, d);
  }

  private static void hooks(Plan plan, Spec spec, LaunchOptions o, boolean needState) {
    Spec.Hooks h = spec.hooks();
    boolean any = false;
    any |= hook(plan, "prestart", h.prestart());
    any |= hook(plan, "createRuntime", h.createRuntime());
    any |= hook(plan, "createContainer", h.createContainer());
    any |= hook(plan, "startContainer", h.startContainer());
    if (o.action().equals("run")) {
      any |= hook(plan, "poststart", h.poststart());
      any |= hook(plan, "poststop", h.poststop());
    }
    if (any || needState) {
      String[] parts = HookState.template(spec, o.id(), o.bundle());
      plan.add(PlanTag.HOOK_STATE, parts[0], parts[1], parts[2]);
    }
  }

  private static boolean hook(Plan plan, String stage, List<Spec.Hook> hooks) {
    for (Spec.Hook hk : hooks) {
      List<Object> f = new ArrayList<>();
      f.add(stage);
      f.add(hk.timeout() == null ? 0 : hk.timeout());
      f.add(hk.path());
      List<String> args = hk.args().isEmpty() ? List.of(hk.path()) : hk.args();
      f.add(args.size());
      f.addAll(args);
      f.addAll(hk.env());
      plan.add(PlanTag.HOOK, f);
    }
    return !hooks.isEmpty();
  }

  private static String bit(boolean b) {
    return b ? "1" : "0";
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }
}
