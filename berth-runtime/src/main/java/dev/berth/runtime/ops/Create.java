package dev.berth.runtime.ops;

import dev.berth.cgroups.CgroupManager;
import dev.berth.cgroups.CgroupManagers;
import dev.berth.cgroups.CgroupSweeper;
import dev.berth.cgroups.Resources;
import dev.berth.cgroups.fs.CgroupFiles;
import dev.berth.runtime.ContainerException;
import dev.berth.runtime.Launcher;
import dev.berth.runtime.RuntimeContext;
import dev.berth.runtime.convert.LaunchOptions;
import dev.berth.runtime.convert.ResourcesConverter;
import dev.berth.runtime.convert.SeccompConverter;
import dev.berth.runtime.convert.SpecConverter;
import dev.berth.runtime.plan.Plan;
import dev.berth.runtime.state.ContainerRecord;
import dev.berth.spec.Spec;
import dev.berth.spec.SpecException;
import dev.berth.spec.SpecValidator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * create / run: everything up to the hand-over. Validation first (nothing on the host changes if
 * the config is wrong), then the state directory with state.json and the config, then the cgroup;
 * if any of those fails, they are undone before the error is reported. After the hand-over the
 * launcher owns the undo list (and creates the exec fifo). The creation is also left as a warm-path
 * template ({@link WarmPath}).
 */
public final class Create {
  private Create() {}

  /** Options from the command line; paths may be relative to the caller's cwd. */
  /**
   * @param warmKey the warm-path template's name from the launcher ({@link WarmPath#keyFromLauncher}), or null
   * @param io the monitor keeps the container's stdio (berthd's containers), or null (the caller's stdio)
   */
  public record Request(String id, Path bundle, String action, Path pidFile, Path consoleSocket, boolean noPivot,
      int preserveFds, boolean detach, String warmKey, dev.berth.runtime.convert.MonitorIo io) {
    public Request(String id, Path bundle, String action, Path pidFile, Path consoleSocket, boolean noPivot,
        int preserveFds, boolean detach, String warmKey) {
      this(id, bundle, action, pidFile, consoleSocket, noPivot, preserveFds, detach, warmKey, null);
    }

    public Request(String id, Path bundle, String action, Path pidFile, Path consoleSocket, boolean noPivot,
        int preserveFds, boolean detach) {
      this(id, bundle, action, pidFile, consoleSocket, noPivot, preserveFds, detach, null, null);
    }
  }

  public static Plan prepare(RuntimeContext ctx, Request r) {
    dev.berth.runtime.Trace.mark("create: start");
    String id = dev.berth.runtime.state.StateStore.checkId(r.id());
    Path bundle = r.bundle().toAbsolutePath().normalize();
    byte[] raw = Spec.readBytes(bundle.resolve("config.json"));
    Spec spec = SpecValidator.validate(Spec.parse(raw));
    dev.berth.runtime.Trace.mark("create: config parsed and validated");
    Path rootfs = bundle.resolve(spec.root().path()).normalize();
    if (!Files.isDirectory(rootfs)) throw new SpecException("root.path", "no such directory: " + rootfs);
    boolean detached = r.action().equals("create") || r.detach();
    if (r.io() != null && !(r.action().equals("run") && r.detach())) {
      throw ContainerException.invalid("monitor-kept stdio (MonitorIo) needs run with detach, not " + r.action()
          + (r.detach() ? "" : " without detach"));
    }
    if (r.io() != null && r.consoleSocket() != null) {
      throw ContainerException.invalid("monitor-kept stdio (MonitorIo) and a console socket exclude each other");
    }
    // with MonitorIo the monitor holds the pty itself
    if (spec.process().terminal() && detached && r.consoleSocket() == null && r.io() == null) {
      throw new SpecException("process.terminal", "a detached container with a terminal needs --console-socket");
    }
    Resources resources = withDeviceDefaults(ResourcesConverter.of(spec.linux().resources()), spec);
    SeccompConverter.Compiled seccomp = SeccompConverter.compile(spec.linux().seccomp(), ctx.store().root().resolve(".seccomp-cache"));
    if (ctx.store().exists(id)) {
      throw new ContainerException(ContainerException.Kind.EXISTS, "container \"" + id + "\" already exists");
    }

    dev.berth.runtime.Trace.mark("create: resources and seccomp converted");
    Path dir = ctx.store().reserve(id);
    CgroupManager cgroup = null;
    try {
      // Who is creating it, first: if this JVM or the wrapper (the launcher-to-be) is killed,
      // `state` knows the create is over and `delete` knows whom to stop.
      // A daemon's create (MonitorIo: berthd, in process) never records itself: `delete -f` would kill
      // the daemon. Launcher.spawn records the launcher it starts instead.
      ctx.store().saveProcs(id, "creator", r.io() != null ? List.of() : Launcher.creators());
      sweepCgroups(ctx);
      cgroup = CgroupManagers.open(spec.linux().cgroupsPath(), id, ctx.cgroupParent());
      // State first, cgroup second: whatever dies half-way, delete finds the cgroup it must remove.
      boolean monitor = r.action().equals("run") && r.detach();
      ContainerRecord record = new ContainerRecord(id, bundle.toString(), rootfs.toString(), Instant.now().toString(),
          spec.ociVersion(), cgroup.cgroupPath(), "root", monitor, spec.annotations());
      ctx.store().save(record);
      ctx.store().saveVerbs(id, verbs(record, cgroup.paths(), spec));
      Files.write(dir.resolve("config.json"), raw); // exactly what was validated
      dev.berth.runtime.Trace.mark("create: state saved");
      CgroupManager created = cgroup;
      List<String[]> writes = CgroupFiles.recording(() -> created.create(resources));
      dev.berth.runtime.Trace.mark("create: cgroup created");
      LaunchOptions o = new LaunchOptions(r.action(), id, dir, bundle, abs(r.pidFile()), abs(r.consoleSocket()),
          r.noPivot(), r.preserveFds(), monitor ? dir.resolve("exit") : null, false, ctx.logFile(), ctx.logFormat(),
          r.io());
      Plan plan = SpecConverter.containerPlan(spec, o, rootfs, cgroup.paths(), seccomp.bpf(), seccomp.flags(),
          dev.berth.cgroups.CgroupManagers.hostLayout().mounts());
      if (r.io() == null) WarmPath.store(ctx, r.warmKey(), r.action(), raw, spec, record, bundle, rootfs, cgroup.paths(), writes, seccomp, monitor,
          abs(r.pidFile()));
      return plan;
    } catch (RuntimeException | IOException e) {
      undo(ctx, id, cgroup);
      if (e instanceof RuntimeException re) throw re;
      throw new ContainerException(ContainerException.Kind.SYSTEM, "cannot create \"" + id + "\": " + e.getMessage(), e);
    }
  }

  /** The record of the launcher's JVM-less verbs ({@link dev.berth.runtime.state.VerbsRecord}). */
  static byte[] verbs(ContainerRecord record, List<Path> cgroups, Spec spec) {
    return dev.berth.runtime.state.VerbsRecord.encode(record, cgroups, CgroupManagers.hostLayout(),
        !spec.hooks().poststart().isEmpty(), !spec.hooks().poststop().isEmpty());
  }

  static final long SWEEP_INTERVAL_MS = 60_000;

  /**
   * Start-up cleanup, on the cold path (there is no daemon): cgroups under the default parent
   * ({@code /berth}) left by containers that crashed are removed if they hold no process. Gone means
   * no state directory under this root, and the sweep takes the id as a create would (the state
   * directory's atomic mkdir) while it removes the cgroup, so a concurrent create of that id (the
   * JVM path and the launcher's warm path both reserve the state directory before they make any
   * cgroup directory) can never lose its cgroup; cgroups younger than a few seconds are left alone
   * (a container of another --root being created). Those still holding processes are reported
   * with --debug and in --log only. Runs after this container's own reservation, at most once a
   * minute per state root (the mtime of {@code <root>/.cgroup-sweep}: one stat on most creates);
   * never fails the create.
   */
  static void sweepCgroups(RuntimeContext ctx) {
    Path stamp = ctx.store().root().resolve(".cgroup-sweep");
    try {
      long now = System.currentTimeMillis();
      try {
        long age = now - Files.getLastModifiedTime(stamp).toMillis();
        if (age >= 0 && age < SWEEP_INTERVAL_MS) return;
        Files.setLastModifiedTime(stamp, java.nio.file.attribute.FileTime.fromMillis(now));
      } catch (java.nio.file.NoSuchFileException e) {
        Files.write(stamp, new byte[0]);
      }
      String parent = "/" + ctx.cgroupParent();
      var r = CgroupSweeper.sweep(CgroupManagers.hostLayout(), parent, ctx.store()::claim,
          CgroupSweeper.DEFAULT_MIN_AGE);
      if (r.isEmpty()) return;
      for (String id : r.removed()) {
        ctx.notice("removed the cgroup " + parent + "/" + id + " of a container that is gone");
      }
      for (String id : r.busy()) {
        ctx.notice("cgroup " + parent + "/" + id + " has no container under " + ctx.store().root()
            + " (left by a crash, or another --root's) and holds processes: left as it is");
      }
      for (String f : r.failed()) ctx.notice("cgroup sweep: " + f);
    } catch (RuntimeException | IOException e) {
      ctx.notice("cgroup sweep: " + e.getMessage());
    } finally {
      dev.berth.runtime.Trace.mark("create: cgroups swept");
    }
  }

  /**
   * The devices cgroup: the config's own rules ({@code linux.resources.devices}) first, then runc's
   * defaults (mknod of anything, the standard nodes, ptys, tun). As in runc, {@code linux.devices}
   * only creates nodes and adds no rule: a node the config's rules do not allow (or allow only
   * {@code r}, as {@code docker run --device /dev/x:/dev/y:r} writes it) stays refused for what
   * they do not name.
   */
  static Resources withDeviceDefaults(Resources r, Spec spec) {
    if (r.devices() == null || r.devices().isEmpty()) return r;
    java.util.List<Resources.DeviceRule> rules = new java.util.ArrayList<>(r.devices());
    rules.add(new Resources.DeviceRule(true, "c", null, null, "m"));
    rules.add(new Resources.DeviceRule(true, "b", null, null, "m"));
    long[][] chars = {{1, 3}, {1, 5}, {1, 7}, {1, 8}, {1, 9}, {5, 0}, {5, 1}, {5, 2}, {10, 200}};
    for (long[] c : chars) rules.add(Resources.DeviceRule.allowChar(c[0], c[1], "rwm"));
    rules.add(new Resources.DeviceRule(true, "c", 136L, null, "rwm"));
    return r.withDevices(rules);
  }

  /** Removes what {@link #prepare} made; used on failure before or at the hand-over. */
  public static void undo(RuntimeContext ctx, String id, CgroupManager cgroup) {
    try {
      if (cgroup != null) {
        cgroup.destroy();
        Delete.pruneParents(cgroup.paths(), ctx.cgroupParent()); // as a delete would: an emptied default parent goes
      }
    } catch (RuntimeException ignored) {
      // best effort: report the original error
    }
    ctx.store().remove(id);
  }

  private static Path abs(Path p) {
    return p == null ? null : p.toAbsolutePath().normalize();
  }
}
