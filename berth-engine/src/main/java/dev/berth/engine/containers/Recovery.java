package dev.berth.engine.containers;

import dev.berth.cgroups.CgroupManagers;
import dev.berth.cgroups.CgroupSweeper;
import dev.berth.image.api.ImageException;
import dev.berth.runtime.RuntimeContext;
import dev.berth.runtime.ops.Delete;
import dev.berth.runtime.state.ProcRecord;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Crash recovery at berthd's start (after {@code kill -9}, a host crash, an OOM kill): what a dead
 * berthd left half-done is finished or undone before the API serves, so that every container either
 * fully exists or is fully gone.
 *
 * <ul>
 *   <li>a create that did not finish (a container directory without {@code container.json}): its
 *       snapshot, directory and the anonymous volumes named in its {@link #CREATING} mark go;</li>
 *   <li>a remove that did not finish (a directory with the {@link #REMOVING} mark): finished —
 *       runtime state deleted with force (processes, cgroup), endpoints, snapshot, directory, and
 *       with {@code rm -v} its anonymous volumes;</li>
 *   <li>a start that did not finish (runtime state for a container whose record does not say
 *       running): undone with the runtime's {@code delete --force} (the client never got its 204);</li>
 *   <li>orphans: runtime state directories, control sockets, plan files and engine snapshots of no
 *       container; cgroups under the parent with no state ({@link CgroupSweeper}, rmdir only); and
 *       berth-launch monitors writing a log of this root for no running container (killed, keeper
 *       first).</li>
 * </ul>
 * Running containers are left alone: the engine re-adopts them (live restore). Each action is
 * reported on berthd's stderr as {@code berthd: recovery: ...}.
 */
final class Recovery {
  /** In a container's directory while a create is under way: the anonymous volumes it may make, one per line. */
  static final String CREATING = "creating";
  /** In a container's directory once its removal has begun: the anonymous volumes that go with it ({@code rm -v}), one per line. */
  static final String REMOVING = "removing";

  private final RuntimeContext ctx;
  private final Path execRoot, containersDir;
  private final Supplier<Images> images;
  private final dev.berth.engine.networks.NetworkService networks;
  private final dev.berth.engine.volumes.ContainerVolumes volumes;
  private final PrintStream log;
  /** Anonymous volumes whose container's create or remove did not finish: removed once every record is loaded. */
  private final List<String> volumesToRemove = new ArrayList<>();
  private final Map<String, Integer> counts = new LinkedHashMap<>();
  private final long started = System.nanoTime();

  interface Images {
    void removeSnapshot(String id);
    List<String> containerSnapshots();
  }

  Recovery(RuntimeContext ctx, Path execRoot, Path containersDir, Supplier<Images> images,
      dev.berth.engine.networks.NetworkService networks, dev.berth.engine.volumes.ContainerVolumes volumes, PrintStream log) {
    this.ctx = ctx;
    this.execRoot = execRoot;
    this.containersDir = containersDir;
    this.images = images;
    this.networks = networks;
    this.volumes = volumes;
    this.log = log;
  }

  /** What recovery did, by kind (for the log and tests). */
  Map<String, Integer> counts() { return counts; }

  private void count(String what) { counts.merge(what, 1, Integer::sum); }

  // ---- marks written by the engine -------------------------------------------------------------

  /** Before a create makes anything outside its directory: the anonymous volumes it will make. */
  static void markCreating(Path dir, List<String> anonymousVolumes) throws IOException {
    // one small write, no fsync: a killed berthd loses nothing of it (a host crash loses the
    // container too); kept off the create path's cost
    Files.write(dir.resolve(CREATING), (String.join("\n", anonymousVolumes) + "\n").getBytes(StandardCharsets.UTF_8));
  }

  /** The create is complete (its record is saved). */
  static void createDone(Path dir) {
    try {
      Files.deleteIfExists(dir.resolve(CREATING));
    } catch (IOException ignored) {
      // recovery ignores the mark once container.json exists
    }
  }

  /** Before a remove undoes anything: a crash from here on is finished at the next start. */
  static void markRemoving(Path dir, List<String> anonymousVolumes) {
    try {
      Files.write(dir.resolve(REMOVING), (String.join("\n", anonymousVolumes) + "\n").getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      ContainerEngine.log.println("berthd: cannot mark " + dir + " as being removed: " + e.getMessage());
    }
  }

  /** A remove that failed half-way and will be retried by the user: the mark goes. */
  static void removeAborted(Path dir) {
    try {
      Files.deleteIfExists(dir.resolve(REMOVING));
    } catch (IOException ignored) {
      // a later start finishes the removal
    }
  }

  // ---- at start-up ----------------------------------------------------------------------------

  /** A container directory found at start-up: true if it was a half-done create or remove, now dealt with. */
  boolean unfinished(Path dir) {
    String id = dir.getFileName().toString();
    boolean removing = Files.exists(dir.resolve(REMOVING));
    boolean record = Files.isRegularFile(dir.resolve("container.json"));
    if (!removing && record) return false;
    if (removing) {
      log.println("berthd: recovery: " + id + ": finishing its removal");
      count("removes finished");
      for (String v : readMark(dir.resolve(REMOVING)).split("\n")) if (!v.isBlank()) volumesToRemove.add(v.strip());
    } else {
      log.println("berthd: recovery: " + id + ": a create that did not finish: undone");
      count("creates undone");
      for (String v : readMark(dir.resolve(CREATING)).split("\n")) if (!v.isBlank()) volumesToRemove.add(v.strip());
    }
    undoRuntime(id);
    if (networks != null) {
      try {
        networks.forget(id);
      } catch (RuntimeException e) {
        log.println("berthd: recovery: " + id + ": endpoints: " + e.getMessage());
      }
    }
    try {
      images.get().removeSnapshot(id);
    } catch (ImageException.NotFound e) {
      // never prepared
    } catch (RuntimeException e) {
      log.println("berthd: recovery: " + id + ": cannot remove its root filesystem: " + e.getMessage());
    }
    deleteSocket(id);
    deleteTree(dir);
    return true;
  }

  /** The anonymous volumes a HostConfig names (after {@code ContainerVolumes.plan}). */
  static List<String> anonymous(com.fasterxml.jackson.databind.JsonNode hostConfig) {
    List<String> out = new ArrayList<>();
    for (var m : hostConfig.path("Mounts")) {
      if ("volume".equals(m.path("Type").asText()) && m.path("VolumeOptions").path("Labels").has("com.docker.volume.anonymous")) {
        out.add(m.path("Source").asText());
      }
    }
    return out;
  }

  /** A loaded record that does not run but has runtime state: a start that did not finish, undone. */
  void unfinishedStart(Container c) {
    if (!ctx.store().exists(c.id)) return;
    log.println("berthd: recovery: " + c.id + ": a start that did not finish: undone");
    count("starts undone");
    undoRuntime(c.id);
  }

  /** After every record is loaded: the volumes of unfinished creates and removes, then the orphans. */
  void sweep(Set<String> known, Set<String> running) {
    for (String v : volumesToRemove) {
      try {
        if (volumes.service().exists(v)) {
          volumes.service().remove(v, true);
          count("volumes removed");
          log.println("berthd: recovery: volume " + v + " of an unfinished create or remove: removed");
        }
      } catch (RuntimeException e) {
        log.println("berthd: recovery: volume " + v + ": " + e.getMessage());
      }
    }
    volumesToRemove.clear();
    // runtime state of no container
    for (String id : ctx.store().ids()) {
      if (known.contains(id)) continue;
      log.println("berthd: recovery: runtime state of no container: " + id + ": deleted");
      count("orphan states");
      undoRuntime(id);
    }
    // control sockets and plan files of no container
    Set<String> prefixes = new HashSet<>();
    for (String id : known) prefixes.add(id.substring(0, Math.min(24, id.length())) + ".sock");
    for (Path s : list(execRoot.resolve("io"))) {
      if (!prefixes.contains(s.getFileName().toString())) {
        count("orphan sockets");
        deleteQuietly(s);
      }
    }
    for (Path p : list(execRoot.resolve("plans"))) {
      count("orphan plan files");
      deleteQuietly(p);
    }
    // snapshots the engine made for containers that no longer exist
    try {
      for (String id : images.get().containerSnapshots()) {
        if (known.contains(id)) continue;
        try {
          images.get().removeSnapshot(id);
          count("orphan snapshots");
          log.println("berthd: recovery: snapshot of no container: " + id + ": removed");
        } catch (RuntimeException e) {
          log.println("berthd: recovery: snapshot " + id + ": " + e.getMessage());
        }
      }
    } catch (RuntimeException e) {
      log.println("berthd: recovery: cannot list the snapshots: " + e.getMessage());
    }
    // monitors (and their keepers) of this root that serve no running container
    killOrphanMonitors(running);
    // a known container that does not run but whose cgroup still holds processes (its runtime state
    // was lost: the record's end is written already): they are killed and the cgroup removed
    for (String id : known) {
      if (running.contains(id) || ctx.store().exists(id)) continue;
      try {
        var cg = CgroupManagers.open(null, id, ctx.cgroupParent());
        if (!cg.exists()) continue;
        cg.destroy();
        count("stale cgroups");
        log.println("berthd: recovery: " + id + ": its cgroup outlived its runtime state: processes killed, removed");
      } catch (RuntimeException e) {
        log.println("berthd: recovery: " + id + ": cgroup: " + e.getMessage());
      }
    }
    // cgroups under the parent with no state here (rmdir only; young ones left, see CgroupSweeper)
    try {
      var r = CgroupSweeper.sweep(CgroupManagers.hostLayout(), ctx.cgroupParent(), ctx.store()::claim, CgroupSweeper.DEFAULT_MIN_AGE);
      for (String id : r.removed()) {
        count("orphan cgroups");
        log.println("berthd: recovery: cgroup of no container: " + id + ": removed");
      }
      for (String id : r.busy()) log.println("berthd: recovery: cgroup " + id + " holds processes but has no container: left");
    } catch (RuntimeException e) {
      log.println("berthd: recovery: cgroup sweep: " + e.getMessage());
    }
    if (!counts.isEmpty()) log.println("berthd: recovery: " + counts + " in " + (System.nanoTime() - started) / 1_000_000 + " ms");
  }

  /**
   * berth-launch processes (monitor: it holds the container's log open under this root; keeper: its
   * parent) whose container is not running here are killed, keeper first (so it records nothing).
   */
  private void killOrphanMonitors(Set<String> running) {
    Set<Long> recorded = new HashSet<>();
    for (String id : running) {
      try {
        for (ProcRecord p : ctx.store().load(id).monitors()) recorded.add(p.pid());
      } catch (RuntimeException ignored) {
        // no state: nothing recorded
      }
    }
    String logs = containersDir.toString() + "/";
    for (long pid : launchers()) {
      if (recorded.contains(pid)) continue;
      String id = null;
      for (Path fd : list(Path.of("/proc/" + pid + "/fd"))) {
        try {
          String t = Files.readSymbolicLink(fd).toString();
          if (t.startsWith(logs) && t.contains("-json.log")) {
            id = t.substring(logs.length()).split("/")[0];
            break;
          }
        } catch (IOException ignored) {
          // closed meanwhile
        }
      }
      if (id == null || running.contains(id)) continue;
      long keeper = parent(pid);
      List<ProcRecord> victims = new ArrayList<>();
      if (keeper > 1 && isLauncher(keeper) && !recorded.contains(keeper)) victims.add(ProcRecord.of(keeper));
      victims.add(ProcRecord.of(pid));
      log.println("berthd: recovery: monitor " + pid + " of no running container (" + id + "): killed");
      count("orphan monitors");
      ProcRecord.killAndWait(victims, 5_000);
    }
  }

  private static List<Long> launchers() {
    List<Long> out = new ArrayList<>();
    for (Path p : list(Path.of("/proc"))) {
      String n = p.getFileName().toString();
      if (!n.chars().allMatch(Character::isDigit)) continue;
      long pid = Long.parseLong(n);
      if (isLauncher(pid)) out.add(pid);
    }
    return out;
  }

  private static boolean isLauncher(long pid) {
    try {
      byte[] cmd = Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline"));
      int end = 0;
      while (end < cmd.length && cmd[end] != 0) end++;
      return new String(cmd, 0, end, StandardCharsets.UTF_8).endsWith("/berth-launch");
    } catch (IOException e) {
      return false;
    }
  }

  private static long parent(long pid) {
    try {
      String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
      return Long.parseLong(s.substring(s.lastIndexOf(')') + 2).split(" ")[1]);
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  /** The runtime's {@code delete --force}: creator and monitor stopped, processes killed, cgroup and state removed. */
  private void undoRuntime(String id) {
    long t0 = System.nanoTime();
    try {
      if (ctx.store().exists(id)) Delete.delete(ctx, id, true);
      long ms = (System.nanoTime() - t0) / 1_000_000;
      if (ms > 500) log.println("berthd: recovery: " + id + ": delete --force took " + ms + " ms");
    } catch (RuntimeException e) {
      log.println("berthd: recovery: " + id + ": cannot delete its runtime state: " + e.getMessage());
    }
  }

  private void deleteSocket(String id) {
    deleteQuietly(execRoot.resolve("io").resolve(id.substring(0, Math.min(24, id.length())) + ".sock"));
  }

  private static String readMark(Path f) {
    try {
      return Files.readString(f);
    } catch (IOException e) {
      return "";
    }
  }

  private static List<Path> list(Path dir) {
    if (!Files.isDirectory(dir)) return List.of();
    try (var s = Files.list(dir)) {
      return s.toList();
    } catch (IOException e) {
      return List.of();
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException ignored) {
      // reported by the leak counters, not fatal
    }
  }

  static void deleteTree(Path p) {
    if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return;
    try (var s = Files.walk(p)) {
      for (Path x : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
    } catch (IOException e) {
      ContainerEngine.log.println("berthd: cannot remove " + p + ": " + e.getMessage());
    }
  }
}
