package dev.berth.runtime.ops;

import dev.berth.runtime.RuntimeContext;
import dev.berth.runtime.convert.LaunchOptions;
import dev.berth.runtime.convert.SeccompConverter;
import dev.berth.runtime.convert.SpecConverter;
import dev.berth.runtime.plan.Plan;
import dev.berth.runtime.plan.PlanTag;
import dev.berth.runtime.state.ContainerRecord;
import dev.berth.spec.Spec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * The warm path's template (see berth-native/src/main/c/fast.c): after a container was created
 * the slow way, what it took — the plan and the side effects before the hand-over, with the id and
 * the creation time as placeholders — is kept under {@code <root>/.plan-cache/<key>.plan}. The next
 * {@code run}/{@code create} of the same config through bin/berth-runc needs no JVM. The key
 * (action, detach flag, root, bundle, default cgroup parent, config bytes) is the launcher's,
 * handed over on its miss ({@link #keyFromLauncher}).
 */
public final class WarmPath {
  public static final String ID = "@@BERTH-ID@@";
  public static final String CREATED = "@@BERTH-CREATED@@";
  public static final String BUNDLE = "@@BERTH-BUNDLE@@";

  private WarmPath() {}

  /**
   * The template's name, as the launcher computed it on its miss and handed it over in
   * {@code $BERTH_PLAN_KEY} (32 hex digits); null when the command did not come through the
   * launcher's warm path (another form of the command line, or bin/berth-runc not used), which
   * then leaves no template. The key is computed in one place (fast.c); the launcher compares a
   * template's content with the command it runs before it uses it.
   */
  public static String keyFromLauncher() {
    String k = System.getenv("BERTH_PLAN_KEY");
    return k != null && k.length() == 32 && k.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) ? k : null;
  }

  /** At most this many templates are kept (one per config); the least recently written go first. */
  static final int MAX_TEMPLATES = 256;
  /**
   * Nor more than this many bytes of them (a template is typically a few KiB: the plan plus the
   * config's bytes, which it holds once or twice).
   */
  static final long MAX_CACHE_BYTES = 16L << 20;
  /** A larger template is not kept at all; nor one for a config the launcher would not read (fast.c's MAX_CONFIG). */
  static final long MAX_TEMPLATE_BYTES = 1L << 20;
  static final long MAX_CONFIG_BYTES = 8L << 20;

  /**
   * Writes a template as {@code <key>.plan} (temp + rename), unless it is larger than
   * {@link #MAX_TEMPLATE_BYTES}; then drops the oldest templates until at most {@link #MAX_TEMPLATES}
   * of at most {@link #MAX_CACHE_BYTES} in all are left.
   */
  static void put(Path cache, String key, byte[] template) throws IOException {
    if (template.length > MAX_TEMPLATE_BYTES) return;
    Path tmp = Files.createTempFile(cache, ".plan", ".tmp");
    try {
      Files.write(tmp, template);
      Files.move(tmp, cache.resolve(key + ".plan"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
    trim(cache);
  }

  private record Entry(Path file, long bytes, long written) {}

  static void trim(Path cache) throws IOException {
    List<Entry> plans = new ArrayList<>();
    long total = 0;
    try (var files = Files.list(cache)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        if (!f.getFileName().toString().endsWith(".plan")) continue;
        try {
          var a = Files.readAttributes(f, java.nio.file.attribute.BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
          plans.add(new Entry(f, a.size(), a.lastModifiedTime().toMillis()));
          total += a.size();
        } catch (java.nio.file.NoSuchFileException gone) {
          // trimmed by another create meanwhile
        }
      }
    }
    if (plans.size() <= MAX_TEMPLATES && total <= MAX_CACHE_BYTES) return;
    plans.sort(java.util.Comparator.comparingLong(Entry::written));
    int n = plans.size();
    for (Entry e : plans) {
      if (n <= MAX_TEMPLATES && total <= MAX_CACHE_BYTES) break;
      Files.deleteIfExists(e.file());
      n--;
      total -= e.bytes();
    }
  }

  /**
   * Stores the template for this creation, normalised ({@link WarmNormal}): this container's
   * bundle path and id replaced by marks wherever they occur (config, plan, state files, cgroup
   * paths, pid file, log). Before it is kept it is proven on a probe: the same creation built for
   * another id and another spelling of the bundle path ({@code /proc/self/root<bundle>}, the same
   * directory) must normalise to the very same bytes, so nothing in it depends on the id or the
   * bundle in a way a plain substitution would not reproduce (a constant that happens to contain
   * the id, a truncated id, a length check). Never fails the creation itself.
   */
  static void store(RuntimeContext ctx, String key, String action, byte[] config, Spec spec, ContainerRecord real, Path bundle,
      Path rootfs, List<Path> realCgroups, List<String[]> cgroupWrites, SeccompConverter.Compiled seccomp,
      boolean monitor, Path pidFile) {
    if (key == null || config.length > MAX_CONFIG_BYTES) return;
    try {
      String id = real.id(), b = bundle.toString();
      byte[] t = WarmNormal.plan(build(ctx, action, id, bundle, config, spec, rootfs, real, realCgroups, cgroupWrites,
          seccomp, monitor, pidFile, ctx.logFile()), b, id);
      byte[] nconf = WarmNormal.text(config, b, id);
      byte[] npid = pidFile == null ? null : WarmNormal.text(pidFile.toString().getBytes(StandardCharsets.UTF_8), b, id);
      Path log = ctx.logFile() == null ? null : ctx.logFile().toAbsolutePath();
      byte[] nlog = log == null ? null : WarmNormal.text(log.toString().getBytes(StandardCharsets.UTF_8), b, id);
      if (t == null || nconf == null || (pidFile != null && npid == null) || (log != null && nlog == null)) return;
      // The probe: another id (another length too), the same bundle directory under another name.
      String pid = "berthprobe" + Long.toHexString(System.nanoTime()) + (id.length() % 2 == 0 ? "x" : "");
      Path pb = Path.of("/proc/self/root" + b);
      byte[] pconf = WarmNormal.instantiate(nconf, pb.toString(), pid);
      Spec pspec = dev.berth.spec.SpecValidator.validate(Spec.parse(pconf));
      Path prootfs = pb.resolve(pspec.root().path()).normalize();
      var pcg = dev.berth.cgroups.CgroupManagers.open(pspec.linux().cgroupsPath(), pid, ctx.cgroupParent());
      List<Path> pcgroups = pcg.paths();
      if (pcgroups.size() != realCgroups.size()) return;
      List<String[]> pwrites = new ArrayList<>();
      for (String[] w : cgroupWrites) {
        String file = w[0];
        for (int i = 0; i < realCgroups.size(); i++) {
          String prefix = realCgroups.get(i) + "/";
          if (w[0].startsWith(prefix)) file = pcgroups.get(i) + "/" + w[0].substring(prefix.length());
        }
        pwrites.add(new String[] {file, w[1]});
      }
      ContainerRecord prec = new ContainerRecord(pid, pb.toString(), prootfs.toString(), CREATED, real.ociVersion(),
          pcg.cgroupPath(), real.owner(), real.monitored(), pspec.annotations());
      Path ppid = npid == null ? null : Path.of(new String(WarmNormal.instantiate(npid, pb.toString(), pid), StandardCharsets.UTF_8));
      Path plog = nlog == null ? null : Path.of(new String(WarmNormal.instantiate(nlog, pb.toString(), pid), StandardCharsets.UTF_8));
      byte[] p = WarmNormal.plan(build(ctx, action, pid, pb, pconf, pspec, prootfs, prec, pcgroups, pwrites, seccomp, monitor,
          ppid, plog), pb.toString(), pid);
      if (p == null || !java.util.Arrays.equals(t, p)) {
        dev.berth.runtime.Trace.mark("warm path: no template (the plan does not follow the id and bundle)");
        return;
      }
      Path cache = ctx.store().root().resolve(".plan-cache");
      if (!Files.isDirectory(cache, LinkOption.NOFOLLOW_LINKS)) {
        Files.createDirectories(cache, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
      if (!Files.getPosixFilePermissions(cache, LinkOption.NOFOLLOW_LINKS).equals(PosixFilePermissions.fromString("rwx------"))) {
        return;
      }
      put(cache, key, t);
    } catch (IOException | RuntimeException e) {
      // No template: the next start takes the JVM path again.
    }
  }

  /** The template before normalisation: the creation as the JVM performs it, for this id and bundle. */
  private static byte[] build(RuntimeContext ctx, String action, String id, Path bundle, byte[] config, Spec spec,
      Path rootfs, ContainerRecord real, List<Path> cgroups, List<String[]> cgroupWrites, SeccompConverter.Compiled seccomp,
      boolean monitor, Path pidFile, Path logFile) throws IOException {
    Path dir = ctx.store().root().resolve(id);
    ContainerRecord rec = new ContainerRecord(id, bundle.toString(), rootfs.toString(), CREATED, real.ociVersion(),
        real.cgroupsPath(), real.owner(), real.monitored(), real.annotations());
    LaunchOptions o = new LaunchOptions(action, id, dir, bundle, pidFile, null, false, 0,
        monitor ? dir.resolve("exit") : null, false, logFile, ctx.logFormat());
    Plan fast = new Plan();
    fast.add(PlanTag.FAST_STATE_DIR, dir);
    fast.add(PlanTag.FAST_FILE, dir.resolve("state.json"), rec.toJson());
    // a plan inside a field: fast.c re-encodes it with the placeholders replaced
    fast.add(PlanTag.FAST_FILE, dir.resolve(dev.berth.runtime.state.VerbsRecord.FILE), Create.verbs(rec, cgroups, spec));
    fast.add(PlanTag.FAST_FILE, dir.resolve("config.json"), config);
    for (Path c : cgroups) fast.add(PlanTag.FAST_CGROUP_DIR, c);
    for (String[] w : cgroupWrites) fast.add(PlanTag.FAST_CGROUP_WRITE, w[0], w[1]);
    fast.append(SpecConverter.containerPlan(spec, o, rootfs, cgroups, seccomp.bpf(), seccomp.flags(),
        dev.berth.cgroups.CgroupManagers.hostLayout().mounts()));
    return fast.encode();
  }
}
