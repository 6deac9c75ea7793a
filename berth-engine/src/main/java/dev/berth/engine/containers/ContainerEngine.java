package dev.berth.engine.containers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.engine.spec.HostConfigSecurity;
import dev.berth.engine.spec.ResourceOptions;
import dev.berth.image.Images;
import dev.berth.image.api.Descriptor;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.Manifest;
import dev.berth.runtime.ContainerException;
import dev.berth.runtime.Launcher;
import dev.berth.runtime.RuntimeContext;
import dev.berth.runtime.convert.MonitorIo;
import dev.berth.runtime.ops.Create;
import dev.berth.runtime.ops.Delete;
import dev.berth.engine.events.EventBus;
import dev.berth.runtime.ops.Events;
import dev.berth.runtime.ops.Freeze;
import dev.berth.runtime.ops.Kill;
import dev.berth.runtime.ops.Ps;
import dev.berth.runtime.ops.Update;
import dev.berth.runtime.plan.Plan;
import dev.berth.runtime.state.ProcRecord;
import dev.berth.runtime.state.StateStore;
import java.io.Closeable;
import java.io.IOException;
import java.io.PrintStream;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * Containers in Docker's model over the berth runtime, in process (no berth-runc, no JVM per
 * container). Records live under {@code <root>/engine/containers/<id>/} (container.json written
 * crash-safely, the json-file log, hosts/hostname/resolv.conf, the bundle's config.json), the
 * root filesystem is berth-image's overlay snapshot named by the id, runtime state under
 * {@code <execRoot>/runtime/<id>/}. Each start is a runtime {@code run -d} with monitor-kept stdio
 * ({@link MonitorIo}): berth-launch runs as a child of this JVM, exits once the container runs and
 * leaves the monitor, which writes the log and, last, the exit file; {@link ExitWatcher} sees the
 * exit file appear (inotify), the runtime container is then deleted (cgroup, state) and the record
 * updated. Nothing here needs this process to stay up: a new engine over the same directories
 * finds every container again ({@link #load}).
 */
public final class ContainerEngine implements Closeable {
  private final Path root, execRoot, containersDir, volumesDir;
  private final RuntimeContext ctx;
  private final Path launcher;
  private Images images;
  private final Map<String, Container> byId = new ConcurrentHashMap<>();
  private final Map<String, String> byName = new ConcurrentHashMap<>();
  private final Map<String, ReentrantLock> opLocks = new ConcurrentHashMap<>();
  private final ExitWatcher watcher;
  private final dev.berth.engine.drift.ExecGuard execGuard = new dev.berth.engine.drift.ExecGuard(dev.berth.sys.Syscalls.linux(), this::execDenied);
  private final EventBus events = new EventBus();
  private final dev.berth.engine.events.EventJournal journal;
  private final dev.berth.engine.volumes.ContainerVolumes volumes;
  private final RestartManager restarts = new RestartManager();
  private final AtomicLong runSeq = new AtomicLong();
  private final SecureRandom random = new SecureRandom();
  static PrintStream log = System.err;
  private volatile dev.berth.engine.priority.Preemptor priority; // null: no preemption (berthd --preempt-interval 0)
  private final dev.berth.engine.networks.NetworkService networks; // null: no bridge networks (an empty namespace)
  private final Trash trash; // a removed container's directories, deleted in the background

  /**
   * @param root berthd's --root (the image store's root too)
   * @param execRoot berthd's --exec-root: runtime state and control sockets
   * @param launcher berth-native's berth-launch
   */
  public ContainerEngine(Path root, Path execRoot, Path launcher) throws IOException {
    this(root, execRoot, launcher, null);
  }

  /** @param networks berthd's networks (bridge endpoints, user networks); null: a container's network namespace stays empty */
  public ContainerEngine(Path root, Path execRoot, Path launcher, dev.berth.engine.networks.NetworkService networks) throws IOException {
    this.networks = networks;
    if (networks != null) networks.containers(this::networkRef);
    this.root = root;
    this.execRoot = execRoot;
    this.launcher = launcher;
    this.containersDir = root.resolve("engine").resolve("containers");
    this.volumesDir = root.resolve("volumes");
    Files.createDirectories(containersDir);
    this.trash = new Trash(root.resolve("engine").resolve("trash"));
    Files.createDirectories(execRoot.resolve("runtime"));
    Files.createDirectories(execRoot.resolve("io"));
    Files.setPosixFilePermissions(execRoot.resolve("io"), PosixFilePermissions.fromString("rwx------"));
    this.ctx = new RuntimeContext(new StateStore(execRoot.resolve("runtime")), launcher, null, null);
    this.watcher = new ExitWatcher(this::exitSeen, this::sweep);
    this.journal = dev.berth.engine.events.EventJournal.open(root.resolve("engine").resolve("events"), events);
    this.volumes = new dev.berth.engine.volumes.ContainerVolumes(new dev.berth.engine.volumes.VolumeService(volumesDir, events), this::list);
    List<Container> boot = load();
    if (networks != null) networkReconcile();
    watcher.start();
    restartAtBoot(boot);
  }

  synchronized Images images() {
    if (images == null) images = Images.open(root);
    return images;
  }

  public RuntimeContext runtime() { return ctx; }

  /** Where this engine publishes Docker's events (GET /events reads them). */
  public EventBus events() { return events; }

  /** The events kept on disk (GET /events replays since/until from it, across restarts). */
  public dev.berth.engine.events.EventJournal journal() { return journal; }

  /** Hooks the preemptor in: it releases a held container before a stop, kill, pause or removal; inspect shows Berth. */
  public void priority(dev.berth.engine.priority.Preemptor p) { this.priority = p; }

  private void releasePreempted(String id, boolean ending) {
    var p = priority;
    if (p != null) p.release(id, ending);
  }

  /** The volumes (GET /volumes and the rest) and the containers' use of them. */
  public dev.berth.engine.volumes.ContainerVolumes volumes() { return volumes; }

  /** A container event with dockerd's attributes: the labels, image and name, then {@code extra}. */
  public void event(Container c, String action, Map<String, String> extra) {
    Map<String, String> a = new java.util.TreeMap<>();
    c.config().path("Labels").properties().forEach(e -> a.put(e.getKey(), e.getValue().asText()));
    a.put("image", c.imageRef);
    a.put("name", c.name().substring(1));
    a.putAll(extra);
    events.publish("container", action, c.id, a);
  }

  /** berth.drift=deny-exec refused an exec: event exec_denied with the path (in the container). */
  private void execDenied(String id, String path) {
    Container c = byId.get(id);
    if (c != null) event(c, "exec_denied", Map.of("path", path, "policy", "berth.drift=deny-exec"));
  }

  /** Where removed containers' directories wait for their deletion. */
  public Trash trash() { return trash; }

  @Override public void close() {
    trash.close();
    execGuard.close();
    watcher.close();
    restarts.close();
    journal.close();
  }

  // ---- lookup -------------------------------------------------------------------------------

  /** dockerd's GetContainer: full id, then name (with or without "/"), then a unique id prefix. */
  public Container get(String ref) {
    if (ref == null || ref.isEmpty()) throw EngineException.notFound(ref == null ? "" : ref);
    Container c = byId.get(ref);
    if (c != null) return c;
    String id = byName.get(ref.startsWith("/") ? ref : "/" + ref);
    if (id != null && (c = byId.get(id)) != null) return c;
    if (ref.matches("[0-9a-f]+")) {
      Container found = null;
      for (Container x : byId.values()) {
        if (x.id.startsWith(ref)) {
          if (found != null) throw EngineException.invalid("multiple IDs found with provided prefix: " + ref);
          found = x;
        }
      }
      if (found != null) return found;
    }
    throw EngineException.notFound(ref);
  }

  public List<Container> list() {
    List<Container> all = new ArrayList<>(byId.values());
    all.sort(Comparator.comparing((Container c) -> c.created).reversed());
    return all;
  }

  /** Containers by state for /info: running, paused, stopped. */
  public int[] counts() {
    int[] n = new int[3];
    for (Container c : byId.values()) {
      String s = c.status();
      n[s.equals("running") ? 0 : s.equals("paused") ? 1 : 2]++;
    }
    return n;
  }

  /** Whether a container (any state) uses the image with this ID ("sha256:..."): the images service's check before a delete. */
  public boolean inUse(String imageId) {
    for (Container c : byId.values()) if (imageId.equals(c.image())) return true;
    return false;
  }

  /** The images service's {@link dev.berth.engine.images.ImageUsage}: the containers of an image, running or not. */
  public List<dev.berth.engine.images.ImageUsage.User> imageUsers(String imageId) {
    List<dev.berth.engine.images.ImageUsage.User> out = new ArrayList<>();
    for (Container c : byId.values()) {
      if (imageId.equals(c.image())) out.add(new dev.berth.engine.images.ImageUsage.User(c.id, c.running()));
    }
    return out;
  }

  // ---- create -------------------------------------------------------------------------------

  public record Created(String id, List<String> warnings) {}

  private static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("/?[a-zA-Z0-9][a-zA-Z0-9_.-]+");

  /** POST /containers/create: {@code body} is Config with HostConfig (and NetworkingConfig) in it. */
  public Created create(String name, ObjectNode body) {
    ObjectNode config = body.deepCopy();
    JsonNode hcNode = config.remove("HostConfig");
    config.remove("NetworkingConfig");
    ObjectNode hc = hcNode != null && hcNode.isObject() ? (ObjectNode) hcNode : Container.M.createObjectNode();
    if (hcNode != null && !hcNode.isObject() && !hcNode.isNull()) throw EngineException.invalid("HostConfig: must be an object");
    String imageRef = config.path("Image").asText("");
    if (imageRef.isEmpty()) throw EngineException.invalid("No image specified");
    if (name != null && !name.isEmpty() && !NAME.matcher(name).matches()) {
      throw EngineException.invalid("Invalid container name (" + name + "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
    }
    String net = hc.path("NetworkMode").asText("");
    if (networks != null) checkNetwork(net);
    else if (!net.isEmpty() && !net.equals("default") && !net.equals("none") && !net.equals("host") && !net.equals("bridge")) {
      throw new EngineException(EngineException.Kind.NOT_FOUND, "network " + net + " not found");
    }
    String restart = hc.path("RestartPolicy").path("Name").asText("");
    String badPolicy = RestartManager.validate(hc.get("RestartPolicy"));
    if (badPolicy != null) throw EngineException.invalid(badPolicy);
    if (hc.path("AutoRemove").asBoolean(false) && !restart.isEmpty() && !restart.equals("no")) {
      throw EngineException.invalid("can't create 'AutoRemove' container with restart policy");
    }
    // the image
    Descriptor md;
    ObjectNode imageConfig;
    String imageId;
    try {
      md = images().store().resolve(imageRef);
      Manifest m = images().store().manifest(md);
      imageConfig = images().store().config(m);
      imageId = m.config().digest();
      dev.berth.engine.trace.OpTrace.phase("image");
    } catch (ImageException.NotFound e) {
      throw new EngineException(EngineException.Kind.NOT_FOUND, "No such image: " + withTag(imageRef));
    } catch (ImageException.InvalidReference e) {
      throw EngineException.invalid(e.getMessage());
    }
    OciSpec.mergeImageConfig(config, imageConfig.path("config"));
    try {
      dev.berth.engine.priority.PriorityClass.of(config.get("Labels")); // berth.priority: checked before anything is made
      dev.berth.engine.drift.DriftPolicy.of(config.get("Labels")); // berth.drift too
    } catch (IllegalArgumentException e) {
      throw EngineException.invalid(e.getMessage());
    }
    dev.berth.engine.health.HealthConfig.merge(config, imageConfig.path("config"));
    String badCheck = dev.berth.engine.health.HealthConfig.validate(config.get("Healthcheck"));
    if (badCheck != null) throw EngineException.invalid(badCheck);
    List<String> argv = OciSpec.command(config);
    if (argv.isEmpty()) throw EngineException.invalid("no command specified");
    volumes.plan(config, hc, imageConfig.path("config"));
    ArrayNode mounts;
    List<String> warnings;
    try {
      mounts = OciSpec.inspectMounts(hc, volumesDir);
      // dockerd validates the HostConfig at create: on a scratch config, nothing changes on the host
      ObjectNode scratch = OciSpec.defaults();
      warnings = HostConfigSecurity.applyWithWarnings(scratch, hc, ResourceOptions.Host.current());
      LogOptions.of(hc.get("LogConfig")); // json-file's options, refused with dockerd's messages
      LogOptions.normalize(hc);
    } catch (IllegalArgumentException e) {
      throw EngineException.invalid(e.getMessage());
    }
    dev.berth.engine.trace.OpTrace.phase("config");
    String id = newId();
    String fullName = reserveName(name == null || name.isEmpty() ? randomName() : name, id);
    Path dir = containersDir.resolve(id);
    boolean snapshot = false;
    List<String> newVolumes = List.of();
    try {
      Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      Recovery.markCreating(dir, Recovery.anonymous(hc)); // a crash from here on is undone at the next start
      newVolumes = volumes.create(hc);
      Container c = new Container(id, fullName, Instant.now().toString(), dir);
      c.path = argv.get(0);
      c.args = List.copyOf(argv.subList(1, argv.size()));
      config.put("Image", imageRef);
      if (config.path("Hostname").asText("").isEmpty()) config.put("Hostname", id.substring(0, 12));
      c.config = config;
      c.hostConfig = hc;
      c.image = imageId;
      c.imageRef = imageRef;
      c.mounts = mounts;
      if (networks != null) registerNetworks(c, body.get("NetworkingConfig"));
      Path rootfs;
      try {
        rootfs = images().snapshotter().prepare(id, imageId, Map.of("dev.berth.engine", "container"), OciSpec.mountPoints(),
            OciSpec.fileMountPoints(), hc.path("AutoRemove").asBoolean(false)); // --rm: a volatile overlay (no sync of its upper dir)
      } catch (ImageException e) {
        throw EngineException.system("cannot prepare the root filesystem: " + e.getMessage());
      }
      snapshot = true;
      dev.berth.engine.trace.OpTrace.phase("snapshot");
      volumes.populate(hc, rootfs);
      writeEtc(c);
      Files.write(c.logPath(), new byte[0], StandardOpenOption.CREATE);
      try {
        OciSpec.build(c, paths(c, rootfs)); // the user and working directory are checked here, as the rest
      } catch (IllegalArgumentException e) {
        throw EngineException.invalid(e.getMessage());
      }
      dev.berth.engine.trace.OpTrace.phase("spec");
      save(c, !hc.path("AutoRemove").asBoolean(false));
      Recovery.createDone(dir);
      dev.berth.engine.trace.OpTrace.phase("save");
      byId.put(id, c);
      event(c, "create", Map.of());
      return new Created(id, warnings);
    } catch (IOException | RuntimeException e) {
      if (snapshot) {
        try {
          images().snapshotter().remove(id);
        } catch (RuntimeException ignored) {
          // reported below
        }
      }
      if (networks != null) networks.forget(id);
      deleteTree(dir);
      byName.remove(fullName, id);
      volumes.undo(newVolumes);
      if (e instanceof EngineException ee) throw ee;
      throw EngineException.system("cannot create the container: " + e.getMessage());
    }
  }

  static String withTag(String ref) {
    if (ref.contains("@") || ref.startsWith("sha256:")) return ref;
    int slash = ref.lastIndexOf('/');
    return ref.indexOf(':', slash + 1) >= 0 ? ref : ref + ":latest";
  }

  private String reserveName(String name, String id) {
    String full = name.startsWith("/") ? name : "/" + name;
    String other = byName.putIfAbsent(full, id);
    if (other != null) {
      throw EngineException.conflict("Conflict. The container name \"" + full + "\" is already in use by container \"" + other
          + "\". You have to remove (or rename) that container to be able to reuse that name.");
    }
    return full;
  }

  private String newId() {
    for (;;) {
      byte[] b = new byte[32];
      random.nextBytes(b);
      String id = HexFormat.of().formatHex(b);
      if (id.substring(0, 12).matches("[0-9]+")) continue; // dockerd: never all digits in the short id
      if (!byId.containsKey(id)) return id;
    }
  }

  private static final String[] LEFT = {"admiring", "brave", "calm", "dazzling", "eager", "festive", "gallant", "happy",
      "jolly", "keen", "lucid", "modest", "nifty", "optimistic", "quirky", "serene", "tender", "vibrant", "wizardly", "zealous"};
  private static final String[] RIGHT = {"babbage", "curie", "darwin", "euler", "fermat", "gauss", "hopper", "johnson",
      "knuth", "lovelace", "meitner", "noether", "pascal", "ritchie", "shannon", "thompson", "turing", "wozniak", "yalow", "zhukovsky"};

  private String randomName() {
    for (int i = 0; ; i++) {
      String n = LEFT[random.nextInt(LEFT.length)] + "_" + RIGHT[random.nextInt(RIGHT.length)];
      if (i > 10) n += random.nextInt(100);
      if (!byName.containsKey("/" + n)) return n;
    }
  }

  private OciSpec.Paths paths(Container c, Path rootfs) {
    return new OciSpec.Paths(rootfs, c.dir.resolve("hosts"), c.dir.resolve("hostname"), c.dir.resolve("resolv.conf"), volumesDir);
  }

  private void writeEtc(Container c) throws IOException {
    String hostname = OciSpec.hostname(c.id, c.config, c.hostConfig);
    try {
      // rewritten at every start: no fsync (see writeAtomic)
      writeAtomic(c.dir.resolve("hostname"), (hostname + "\n").getBytes(StandardCharsets.UTF_8), false);
      writeAtomic(c.dir.resolve("hosts"), OciSpec.hosts(hostname, c.hostConfig).getBytes(StandardCharsets.UTF_8), false);
      writeAtomic(c.dir.resolve("resolv.conf"), OciSpec.resolvConf(c.hostConfig).getBytes(StandardCharsets.UTF_8), false);
    } catch (IllegalArgumentException e) {
      throw EngineException.invalid(e.getMessage());
    }
  }

  // ---- persistence ----------------------------------------------------------------------------

  void save(Container c) {
    save(c, true);
  }

  /**
   * {@code durable} false: the record replaces the old one atomically (a crash of berthd leaves one
   * or the other) but is not fsynced, so a crash of the host may bring the old one back. Used only
   * where that is harmless: the record of a start or an exit (after a host crash no container runs
   * and /run's runtime state is gone; {@link #load} records the end of whatever the record says
   * runs) and the create of an AutoRemove container (it would be removed at its end anyway).
   */
  void save(Container c, boolean durable) {
    byte[] b;
    try {
      b = Container.M.writerWithDefaultPrettyPrinter().writeValueAsBytes(c.toJson());
      writeAtomic(c.dir.resolve("container.json"), b, durable);
    } catch (IOException e) {
      throw EngineException.system("cannot save container " + c.id + ": " + e.getMessage());
    }
  }

  /** Write a temporary file, fsync it, rename it into place, fsync the directory. */
  static void writeAtomic(Path file, byte[] content) throws IOException {
    writeAtomic(file, content, true);
  }

  /**
   * As {@link #writeAtomic(Path, byte[])}; with {@code sync} false without either fsync: readers
   * see the old or the new file whole, and a crash of berthd keeps the new one, but a crash of the
   * host may lose it. Only for files whose loss then is harmless: those rewritten at every start
   * (the bundle's config.json, hostname, hosts, resolv.conf) and the records {@link #save(Container,
   * boolean)} names.
   */
  static void writeAtomic(Path file, byte[] content, boolean sync) throws IOException {
    Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer bb = ByteBuffer.wrap(content);
      while (bb.hasRemaining()) ch.write(bb);
      if (sync) ch.force(true);
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    if (!sync) return;
    try (FileChannel d = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException ignored) {
      // some file systems refuse fsync on a directory
    }
  }

  /**
   * Finds every container again: records from disk; a running one is still running if its runtime
   * state is there and its exit file is not (its monitor lives on without us), else its end is
   * recorded now.
   */
  private List<Container> load() throws IOException {
    Recovery recovery = new Recovery(ctx, execRoot, containersDir, this::recoveryImages, networks, volumes, log);
    try (var ds = Files.newDirectoryStream(containersDir)) {
      for (Path d : ds) {
        Path f = d.resolve("container.json");
        if (recovery.unfinished(d)) continue; // a create or remove a crash interrupted: undone or finished
        try {
          Container c = Container.fromJson(Container.M.readTree(f.toFile()), d);
          if (c.status.equals("restarting")) c.status = "exited"; // berthd died during a restart's delay: decided below
          byId.put(c.id, c);
          byName.put(c.name, c.id);
        } catch (IOException | RuntimeException e) {
          log.println("berthd: cannot read " + f + ": " + e.getMessage());
        }
      }
    }
    for (Container c : byId.values()) if (!c.running()) recovery.unfinishedStart(c);
    for (Container c : byId.values()) {
      if (!c.running()) continue;
      Container.Run r = new Container.Run(runSeq.incrementAndGet(), logSize(c), new CompletableFuture<>());
      synchronized (c) {
        c.run = r;
      }
      if (ctx.store().exists(c.id)) {
        watcher.watch(c.id, ctx.store().dir(c.id));
        if (dev.berth.engine.drift.DriftPolicy.ofOrNull(c.config().get("Labels")) == dev.berth.engine.drift.DriftPolicy.DENY_EXEC) {
          try {
            Path rootfs = images().snapshotter().rootfs(c.id);
            execGuard.arm(c.id, rootfs, rootfs.getParent().resolve("upper")); // guarded again from now on
          } catch (RuntimeException e) {
            log.println("berthd: berth.drift=deny-exec of " + c.id + " not guarded: " + e.getMessage());
          }
        }
        if (Files.exists(ctx.store().dir(c.id).resolve("exit")) || !monitorAlive(c.id)) exitSeen(c.id);
      } else {
        finishRun(c, r, 255, "the container's runtime state was gone when berthd started");
      }
    }
    java.util.Set<String> running = new java.util.HashSet<>();
    for (Container c : byId.values()) if (c.running() || c.restarting()) running.add(c.id); // never touched by the sweep
    recovery.sweep(java.util.Set.copyOf(byId.keySet()), running); // orphans, once the live ones are known
    // dockerd's restore: containers that had run and are stopped now start again if their policy
    // says so (a fresh restart manager: always even after a user's stop, unless-stopped not then)
    List<Container> boot = new ArrayList<>();
    for (Container c : byId.values()) {
      synchronized (c) {
        if (!c.status.equals("exited") || c.startedAt.equals(Container.ZERO_TIME)) continue;
        String policy = c.hostConfig.path("RestartPolicy").path("Name").asText("");
        int max = c.hostConfig.path("RestartPolicy").path("MaximumRetryCount").asInt(0);
        if (RestartManager.shouldRestart(policy, max, c.restartCount, c.exitCode, c.stoppedByUser)) boot.add(c);
      }
    }
    return boot;
  }

  private Recovery.Images recoveryImages() {
    return new Recovery.Images() {
      @Override public void removeSnapshot(String id) { images().snapshotter().remove(id); }

      @Override public List<String> containerSnapshots() {
        List<String> out = new ArrayList<>();
        for (var i : images().snapshotter().list()) {
          if (i.labels() != null && "container".equals(i.labels().get("dev.berth.engine"))) out.add(i.id());
        }
        return out;
      }
    };
  }

  private void restartAtBoot(List<Container> boot) {
    // the image store is opened here, before berthd's ImageService opens its own (two opens at once
    // in one JVM collide on the store's lock file)
    if (!boot.isEmpty() || byId.values().stream().anyMatch(Container::restarting)) images();
    for (Container c : boot) {
      Thread.ofVirtual().start(() -> {
        try {
          start(c.id);
        } catch (RuntimeException e) {
          log.println("berthd: restart of " + c.id + " at start-up: " + e);
          if (!(e instanceof EngineException)) e.printStackTrace(log);
        }
      });
    }
  }

  // ---- start ----------------------------------------------------------------------------------

  private ReentrantLock opLock(String id) {
    return opLocks.computeIfAbsent(id, k -> new ReentrantLock());
  }

  public Path controlSocket(Container c) {
    return execRoot.resolve("io").resolve(c.id.substring(0, 24) + ".sock");
  }

  /**
   * The container's root file system for {@code docker cp}: while it runs, {@code /proc/PID/root}
   * (its mount namespace's view: the overlay with the hosts/hostname/resolv.conf and volume bind
   * mounts on it); stopped, the snapshot's merged overlay, mounted from create to remove. Callers
   * must resolve every path below it descriptor-relative, as if chrooted (it holds the container's
   * symlinks).
   */
  /** The snapshot's merged overlay of a container (what {@link #filesystemRoot} must be the same directory as). */
  public Path snapshotRoot(String ref) { return images().snapshotter().rootfs(get(ref).id); }

  public Path filesystemRoot(String ref) {
    Container c = get(ref);
    int pid;
    synchronized (c) {
      pid = c.running() ? c.pid : 0;
    }
    if (pid > 0 && Files.isDirectory(Path.of("/proc/" + pid + "/root"))) return Path.of("/proc/" + pid + "/root");
    if (!images().snapshotter().mounted(c.id))
      throw EngineException.system("the root filesystem of " + c.name() + " is not mounted (was the host restarted?)");
    return images().snapshotter().rootfs(c.id);
  }

  /** POST /containers/{id}/start: 304 (NOT_MODIFIED) if it runs. */
  public void start(String ref) {
    Container c = get(ref);
    ReentrantLock l = opLock(c.id);
    l.lock();
    try {
      if (c.restarting()) throw new EngineException(EngineException.Kind.NOT_MODIFIED, "container already started");
      restarts.reset(c.id); // a manual start: a fresh restart manager and count, as dockerd
      synchronized (c) {
        c.restartCount = 0;
      }
      start(c);
    } catch (RuntimeException | Error e) {
      // as dockerd: an AutoRemove container that cannot start is removed (its client waits for that)
      if (!(e instanceof EngineException ee && ee.kind() == EngineException.Kind.NOT_MODIFIED)
          && c.hostConfig().path("AutoRemove").asBoolean(false)) {
        try {
          remove(c, true);
        } catch (RuntimeException e2) {
          e.addSuppressed(e2);
        }
      }
      throw e;
    } finally {
      l.unlock();
    }
  }

  private void start(Container c) {
    synchronized (c) {
      if (c.removing) throw EngineException.conflict("container is marked for removal and cannot be started");
      if (c.running()) throw new EngineException(EngineException.Kind.NOT_MODIFIED, "container already started");
    }
    String id = c.id;
    boolean netUp = false;
    try {
      if (!images().snapshotter().mounted(id)) {
        throw EngineException.system("the root filesystem of " + c.name() + " is not mounted (was the host restarted?)");
      }
      Path rootfs = images().snapshotter().rootfs(id);
      if (ctx.store().exists(id)) Delete.delete(ctx, id, true); // what an earlier run left
      monitors.forget(id);
      dev.berth.engine.trace.OpTrace.phase("rootfs-check");
      writeEtc(c);
      ObjectNode spec;
      try {
        spec = OciSpec.build(c, paths(c, rootfs));
      } catch (IllegalArgumentException e) {
        throw EngineException.invalid(e.getMessage());
      }
      dev.berth.engine.trace.OpTrace.phase("spec");
      if (networks != null) netUp = networkSetUp(c, spec);
      ContainerNetMode.join(this, c, spec);
      dev.berth.engine.trace.OpTrace.phase("network");
      Path bundle = c.dir.resolve("bundle");
      Files.createDirectories(bundle);
      writeAtomic(bundle.resolve("config.json"), Container.M.writeValueAsBytes(spec), false); // rewritten at every start
      dev.berth.engine.trace.OpTrace.phase("bundle");
      long offset = logSize(c);
      JsonLog.Position logStart = JsonLog.end(c.logPath()); // where this run's output begins (rotation: by inode)
      Path sock = controlSocket(c);
      Files.deleteIfExists(sock);
      LogOptions lo;
      try {
        lo = LogOptions.of(c.hostConfig().get("LogConfig"));
      } catch (IllegalArgumentException e) {
        throw EngineException.invalid(e.getMessage());
      }
      MonitorIo io = new MonitorIo(c.logPath(), sock, c.config().path("OpenStdin").asBoolean(false), lo.maxSize(), lo.maxFile());
      volumes.started(c);
      Plan plan;
      try {
        plan = Create.prepare(ctx, new Create.Request(id, bundle, "run", null, null, false, 0, true, null, io));
      } catch (ContainerException | dev.berth.spec.SpecException e) {
        throw startFailed(c, e.getMessage());
      }
      dev.berth.engine.trace.OpTrace.phase("plan");
      watcher.watch(id, ctx.store().dir(id));
      if (dev.berth.engine.drift.DriftPolicy.ofOrNull(c.config().get("Labels")) == dev.berth.engine.drift.DriftPolicy.DENY_EXEC) {
        try {
          execGuard.arm(id, rootfs, rootfs.getParent().resolve("upper")); // before the first exec of the container
        } catch (RuntimeException e) {
          cleanupRuntime(id);
          throw startFailed(c, "berth.drift=deny-exec: cannot watch the root filesystem's execs: " + e.getMessage());
        }
      }
      Launcher.Spawned s;
      try {
        s = Launcher.spawn(launcher, plan, execRoot.resolve("plans"), ctx.store(), id);
      } catch (RuntimeException e) {
        execGuard.disarm(id);
        cleanupRuntime(id);
        throw startFailed(c, e.getMessage());
      }
      if (!s.ok()) {
        execGuard.disarm(id);
        cleanupRuntime(id);
        throw startFailed(c, s.stderr().isEmpty() ? "berth-launch exited with status " + s.exitCode() : s.stderr());
      }
      dev.berth.engine.trace.OpTrace.phase("launch");
      int pid = 0;
      try {
        pid = ctx.store().load(id).pid().orElse(0);
      } catch (RuntimeException e) {
        // ended already and deleted? the exit file decides below
      }
      Container.Run r = logStart == null ? new Container.Run(runSeq.incrementAndGet(), offset, new CompletableFuture<>())
          : new Container.Run(runSeq.incrementAndGet(), logStart.offset(), new CompletableFuture<>(), logStart.inode());
      CompletableFuture<Container.Run> started;
      synchronized (c) {
        c.status = "running";
        c.pid = pid;
        c.exitCode = 0;
        c.error = "";
        c.startedAt = Instant.now().toString();
        c.finishedAt = Container.ZERO_TIME;
        c.stoppedByUser = false;
        c.run = r;
        started = c.started;
        c.started = new CompletableFuture<>();
      }
      save(c, false);
      dev.berth.engine.trace.OpTrace.phase("save");
      event(c, "start", Map.of());
      started.complete(r);
      if (Files.exists(ctx.store().dir(id).resolve("exit"))) exitSeen(id);
    } catch (IOException e) {
      if (netUp) networks.tearDown(id);
      throw EngineException.system("cannot start " + c.name() + ": " + e.getMessage());
    } catch (RuntimeException e) {
      if (netUp && !c.running()) networks.tearDown(id);
      throw e;
    }
  }

  /** dockerd's message and the exit code the docker CLI derives from it (127 not found, 126 not executable). */
  private EngineException startFailed(Container c, String why) {
    volumes.stopped(c);
    String msg = why == null ? "unknown error" : why;
    int code = msg.contains("executable file not found") || msg.contains("no such file or directory") ? 127
        : msg.contains("permission denied") ? 126 : 128;
    synchronized (c) {
      c.exitCode = code;
      c.error = msg;
    }
    save(c);
    return EngineException.system("failed to create task for container: failed to start container: " + msg + ": unknown");
  }

  private void cleanupRuntime(String id) {
    watcher.unwatch(id);
    monitors.forget(id);
    try {
      if (ctx.store().exists(id)) Delete.delete(ctx, id, true);
    } catch (RuntimeException e) {
      log.println("berthd: cannot clean up the runtime state of " + id + ": " + e.getMessage());
    }
  }

  private long logSize(Container c) {
    try {
      return Files.size(c.logPath());
    } catch (IOException e) {
      return 0;
    }
  }

  // ---- exits ----------------------------------------------------------------------------------

  private final MonitorRecords monitors = new MonitorRecords();

  private boolean monitorAlive(String id) {
    try {
      return monitors.alive(id, ctx.store().dir(id));
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** The exit file appeared (or the monitor is gone): record the end of the current run. */
  void exitSeen(String id) {
    Container c = byId.get(id);
    if (c == null) return;
    dev.berth.engine.trace.OpTrace.begin("exit " + id.substring(0, 12));
    try {
      exitSeen(c, id);
    } finally {
      dev.berth.engine.trace.OpTrace.end();
    }
  }

  private void exitSeen(Container c, String id) {
    Container.Run r;
    synchronized (c) {
      r = c.run;
      if (r == null || r.exited().isDone() || !c.running()) return;
    }
    Path exit = ctx.store().dir(id).resolve("exit");
    int code;
    String error = "";
    try {
      String s = Files.readString(exit).strip();
      String[] f = s.split(" ");
      code = f[0].equals("signaled") ? 128 + Integer.parseInt(f[1]) : Integer.parseInt(f[1]);
    } catch (IOException | RuntimeException e) {
      if (monitorAlive(id)) return; // not written yet
      code = 255;
      error = "the container's monitor ended without recording the exit status";
    }
    finishRun(c, r, code, error);
  }

  private final Object finishing = new Object();

  private void finishRun(Container c, Container.Run r, int code, String error) {
    long delay;
    synchronized (finishing) {
      if (r.exited().isDone()) return;
      watcher.unwatch(c.id);
      monitors.forget(c.id);
      dev.berth.engine.trace.OpTrace.phase("exit-read");
      try {
        if (ctx.store().exists(c.id)) Delete.delete(ctx, c.id, true);
      } catch (RuntimeException e) {
        log.println("berthd: cannot delete the runtime state of " + c.id + ": " + e.getMessage());
      }
      dev.berth.engine.trace.OpTrace.phase("runtime-delete");
      if (networks != null) networkTearDown(c.id);
      dev.berth.engine.trace.OpTrace.phase("network");
      synchronized (c) {
        Instant now = Instant.now();
        java.time.Duration ran = c.startedAt.equals(Container.ZERO_TIME) ? java.time.Duration.ZERO
            : java.time.Duration.between(Instant.parse(c.startedAt), now);
        delay = c.removing ? -1 : restarts.decide(c.id, c.hostConfig, c.restartCount, code, c.stoppedByUser, ran);
        if (delay >= 0) c.restartCount++;
        c.status = delay >= 0 ? "restarting" : "exited";
        c.pid = 0;
        c.exitCode = code;
        c.error = error;
        c.finishedAt = now.toString();
      }
      try {
        save(c, false);
      } catch (RuntimeException e) {
        log.println("berthd: " + e.getMessage());
      }
      dev.berth.engine.trace.OpTrace.phase("save");
      r.exited().complete(code);
    }
    execGuard.disarm(c.id);
    event(c, "die", Map.of("exitCode", Integer.toString(code)));
    volumes.stopped(c);
    if (delay >= 0) {
      restarts.schedule(c.id, delay, () -> restartNow(c));
      return;
    }
    JsonNode hc = c.hostConfig();
    if (hc.path("AutoRemove").asBoolean(false)) {
      Thread.ofVirtual().start(() -> {
        dev.berth.engine.trace.OpTrace.begin("auto-remove " + c.id.substring(0, 12));
        try {
          remove(c, true, true); // --rm: its anonymous volumes too, as dockerd
        } catch (RuntimeException e) {
          log.println("berthd: auto-remove of " + c.id + ": " + e.getMessage());
        } finally {
          dev.berth.engine.trace.OpTrace.end();
        }
      });
      return;
    }
  }

  /** A restart policy's delay is over: start again unless a stop, kill or remove came first. */
  private void restartNow(Container c) {
    ReentrantLock l = opLock(c.id);
    l.lock();
    try {
      synchronized (c) {
        if (!c.status.equals("restarting") || c.removing || c.removed.isDone()) return;
      }
      if (restarts.cancelled(c.id)) return;
      start(c);
    } catch (RuntimeException e) {
      // as dockerd: a restart that fails leaves the container stopped
      log.println("berthd: restart of " + c.id + ": " + e.getMessage());
      synchronized (c) {
        if (c.status.equals("restarting")) c.status = "exited";
      }
      try {
        save(c);
      } catch (RuntimeException ignored) {
        // logged by save's caller before
      }
    } finally {
      l.unlock();
    }
  }

  /**
   * A user's stop or kill of a container waiting for its restart: no restart, stopped now (dockerd
   * cancels the restart manager and the container is stopped with its last exit status). False if
   * it was not restarting.
   */
  private boolean stopRestarting(Container c) {
    ReentrantLock l = opLock(c.id);
    l.lock();
    try {
      synchronized (c) {
        if (!c.status.equals("restarting")) return false;
        c.status = "exited";
        c.stoppedByUser = true;
      }
      restarts.cancel(c.id);
      save(c);
      return true;
    } finally {
      l.unlock();
    }
  }

  /** The watcher's safety net (a missed event, a monitor killed with its keeper). */
  private void sweep() {
    for (Container c : byId.values()) {
      Container.Run r = c.run();
      if (r == null || r.exited().isDone() || !c.running()) continue;
      if (Files.exists(ctx.store().dir(c.id).resolve("exit")) || !monitorAlive(c.id)) exitSeen(c.id);
    }
  }

  // ---- stop, kill, wait, restart ----------------------------------------------------------------

  private static int signal(String s) {
    try {
      return Kill.parseSignal(s);
    } catch (ContainerException e) {
      throw EngineException.invalid("Invalid signal: " + s);
    }
  }

  /** POST /containers/{id}/stop: 304 if not running. */
  public void stop(String ref, Integer timeout, String sig) {
    Container c = get(ref);
    if (stopRestarting(c)) {
      event(c, "stop", Map.of());
      return;
    }
    restarts.cancel(c.id);
    releasePreempted(c.id, true);
    Container.Run r;
    synchronized (c) {
      r = c.run;
      if (!c.running() || r == null || r.exited().isDone()) throw new EngineException(EngineException.Kind.NOT_MODIFIED, "not running");
      c.stoppedByUser = true;
    }
    save(c);
    String stopSignal = sig != null && !sig.isEmpty() ? sig : c.config().path("StopSignal").asText("");
    if (stopSignal.isEmpty()) stopSignal = "SIGTERM";
    int s = signal(stopSignal);
    int t = timeout != null ? timeout : c.config().has("StopTimeout") && !c.config().get("StopTimeout").isNull()
        ? c.config().get("StopTimeout").asInt(10) : 10;
    try {
      Kill.kill(ctx, c.id, Integer.toString(s), false);
    } catch (ContainerException e) {
      // ended meanwhile
    }
    if (!(t >= 0 && await(r.exited(), t * 1000L))) {
      try {
        Kill.kill(ctx, c.id, "9", true);
      } catch (ContainerException e) {
        // ended meanwhile
      }
      if (!await(r.exited(), 30_000)) throw EngineException.system("container " + c.name() + " did not stop after SIGKILL");
    }
    event(c, "stop", Map.of());
  }

  private static boolean await(CompletableFuture<?> f, long ms) {
    try {
      f.get(ms, TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (java.util.concurrent.ExecutionException e) {
      return true;
    }
  }

  /** POST /containers/{id}/kill. */
  public void kill(String ref, String sig) {
    Container c = get(ref);
    int s = signal(sig == null || sig.isEmpty() ? "SIGKILL" : sig);
    // dockerd: a kill with SIGKILL, or with the container's stop signal (any, without one) ends
    // its restart policy until the next manual start; any kill counts as a user's stop
    String stopSignal = c.config().path("StopSignal").asText("");
    boolean ends = stopSignal.isEmpty() || s == 9 || signal(stopSignal) == s;
    if (ends && stopRestarting(c)) return; // nothing to signal: dockerd answers 204, no event
    synchronized (c) {
      if (!c.running()) {
        throw EngineException.conflict("Cannot kill container: " + ref + ": Container " + c.id + " is not running");
      }
      c.stoppedByUser = true;
    }
    if (ends) restarts.cancel(c.id);
    releasePreempted(c.id, true);
    try {
      Kill.kill(ctx, c.id, Integer.toString(s), false);
    } catch (ContainerException e) {
      throw EngineException.conflict("Cannot kill container: " + ref + ": " + e.getMessage());
    }
    event(c, "kill", Map.of("signal", Integer.toString(s)));
  }

  public void restart(String ref, Integer timeout, String sig) {
    Container c = get(ref);
    try {
      stop(c.id, timeout, sig);
    } catch (EngineException e) {
      if (e.kind() != EngineException.Kind.NOT_MODIFIED) throw e;
    }
    start(c.id);
    event(c, "restart", Map.of());
  }

  /**
   * POST /containers/{id}/wait: the exit code once the condition holds. not-running (default):
   * now if it does not run, else at the end of this run; next-exit: the end of the next (or
   * current) run; removed: once removed.
   */
  public CompletableFuture<Integer> waitFor(String ref, String condition) {
    Container c = get(ref);
    String cond = condition == null || condition.isEmpty() ? "not-running" : condition;
    switch (cond) {
      case "removed":
        return c.removed.thenApply(v -> c.exitCode());
      case "next-exit": {
        synchronized (c) {
          if (c.running() && c.run != null && !c.run.exited().isDone()) return c.run.exited();
          return c.started.thenCompose(Container.Run::exited);
        }
      }
      case "not-running": {
        synchronized (c) {
          if (c.running() && c.run != null && !c.run.exited().isDone()) return c.run.exited();
          return CompletableFuture.completedFuture(c.exitCode);
        }
      }
      default:
        throw EngineException.invalid("invalid condition: \"" + cond + "\"");
    }
  }

  // ---- remove, rename, prune ---------------------------------------------------------------------

  /** DELETE /containers/{id}: a running one only with force (killed first). */
  public void remove(String ref, boolean force) {
    remove(get(ref), force);
  }

  /** DELETE /containers/{id}?v=: with {@code removeVolumes}, its anonymous volumes go too. */
  public void remove(String ref, boolean force, boolean removeVolumes) {
    remove(get(ref), force, removeVolumes);
  }

  private void remove(Container c, boolean force) {
    remove(c, force, false);
  }

  private void remove(Container c, boolean force, boolean removeVolumes) {
    ReentrantLock l = opLock(c.id);
    l.lock();
    try {
      Container.Run r;
      synchronized (c) {
        if (c.removed.isDone()) throw EngineException.notFound(c.id);
        if (c.removing) throw EngineException.conflict("removal of container " + c.id + " is already in progress");
        if (c.running() && !force) {
          throw EngineException.conflict("cannot remove container \"" + c.name + "\": container is running: stop the container before removing or force remove");
        }
        if (c.status.equals("restarting") && !force) {
          throw EngineException.conflict("cannot remove container \"" + c.name + "\": container is restarting: stop the container before removing or force remove");
        }
        if (c.status.equals("restarting")) c.status = "exited";
        c.removing = true;
        c.stoppedByUser = true;
        r = c.run;
      }
      restarts.cancel(c.id);
      releasePreempted(c.id, true);
      // a crash from here on: the next start finishes this removal (Recovery)
      Recovery.markRemoving(c.dir, removeVolumes ? volumes.anonymous(c) : List.of());
      if (r != null && !r.exited().isDone()) {
        try {
          Kill.kill(ctx, c.id, "9", true);
        } catch (ContainerException e) {
          // gone already
        }
        if (!await(r.exited(), 20_000)) finishRun(c, r, 137, "killed by removal");
      }
      dev.berth.engine.trace.OpTrace.phase("kill");
      cleanupRuntime(c.id);
      if (networks != null) networks.forget(c.id);
      dev.berth.engine.trace.OpTrace.phase("runtime-delete");
      try {
        images().snapshotter().remove(c.id, trash::moveIn);
      } catch (ImageException.NotFound e) {
        // never prepared
      } catch (RuntimeException e) {
        synchronized (c) {
          c.removing = false;
        }
        Recovery.removeAborted(c.dir);
        throw EngineException.system("cannot remove the root filesystem of " + c.name() + ": " + e.getMessage());
      }
      try {
        Files.deleteIfExists(controlSocket(c));
      } catch (IOException ignored) {
        // the monitor removes it
      }
      dev.berth.engine.trace.OpTrace.phase("snapshot-remove");
      try {
        Files.deleteIfExists(c.dir.resolve("container.json")); // first: a crash now leaves no record to load
      } catch (IOException ignored) {
        // deleteTree reports
      }
      restarts.cancel(c.id);
      restarts.reset(c.id);
      byId.remove(c.id);
      byName.remove(c.name(), c.id);
      if (removeVolumes) volumes.removeAnonymous(c); // not in use by c any more (it is out of byId)
      if (!trash.moveIn(c.dir)) deleteTree(c.dir); // the removing mark goes with it: nothing left to finish
      dev.berth.engine.trace.OpTrace.phase("dir-delete");
      opLocks.remove(c.id);
      event(c, "destroy", Map.of());
      c.removed.complete(null);
    } finally {
      l.unlock();
    }
  }

  private static void deleteTree(Path p) {
    if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return;
    try (var s = Files.walk(p)) {
      for (Path x : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
    } catch (IOException e) {
      log.println("berthd: cannot remove " + p + ": " + e.getMessage());
    }
  }

  public void rename(String ref, String newName) {
    Container c = get(ref);
    if (newName == null || newName.isEmpty()) throw EngineException.invalid("Neither old nor new names may be empty");
    if (!NAME.matcher(newName).matches()) throw EngineException.invalid("Invalid container name (" + newName + "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
    String full = newName.startsWith("/") ? newName : "/" + newName;
    String old = c.name();
    if (full.equals(old)) throw EngineException.invalid("Renaming a container with the same name as its current name");
    reserveName(full, c.id);
    synchronized (c) {
      c.name = full;
    }
    byName.remove(old, c.id);
    save(c);
    if (networks != null) networks.renamed(c.id, full);
    event(c, "rename", Map.of("oldName", old));
  }

  /** POST /containers/prune: every stopped container; returns their ids. */
  public List<String> prune(java.util.function.Predicate<Container> filter) {
    List<String> out = new ArrayList<>();
    for (Container c : list()) {
      if (c.running() || !filter.test(c)) continue;
      try {
        remove(c, false);
        out.add(c.id);
      } catch (EngineException e) {
        // started or removed meanwhile
      }
    }
    return out;
  }

  // ---- pause, top, update, resize, stdin -------------------------------------------------------

  public void pause(String ref) {
    Container c = get(ref);
    synchronized (c) {
      if (!c.status.equals("running")) {
        throw EngineException.conflict(c.status.equals("paused") ? "Container " + c.id + " is already paused" : "Container " + c.id + " is not running");
      }
    }
    releasePreempted(c.id, false);
    try {
      Freeze.pause(ctx, c.id);
    } catch (ContainerException e) {
      throw EngineException.system(e.getMessage());
    }
    synchronized (c) {
      c.status = "paused";
    }
    save(c);
    event(c, "pause", Map.of());
  }

  public void unpause(String ref) {
    Container c = get(ref);
    synchronized (c) {
      if (!c.status.equals("paused")) throw EngineException.conflict("Container " + c.id + " is not paused");
    }
    try {
      Freeze.resume(ctx, c.id);
    } catch (ContainerException e) {
      throw EngineException.system(e.getMessage());
    }
    synchronized (c) {
      c.status = "running";
    }
    save(c);
    event(c, "unpause", Map.of());
  }

  /** GET /containers/{id}/top: {@code ps} (with the client's arguments) limited to the container's processes. */
  public ObjectNode top(String ref, String psArgs) {
    Container c = get(ref);
    if (!c.running()) throw EngineException.conflict("Container " + c.id + " is not running");
    List<Integer> pids;
    try {
      pids = Ps.pids(ctx, c.id);
    } catch (ContainerException e) {
      throw EngineException.conflict("Container " + c.id + " is not running");
    }
    List<String> cmd = new ArrayList<>();
    cmd.add("ps");
    String a = psArgs == null || psArgs.isBlank() ? "-ef" : psArgs;
    for (String x : a.trim().split("\\s+")) cmd.add(x);
    String out;
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (p.waitFor() != 0) throw EngineException.system("Error running ps: exit status " + p.exitValue() + ": " + out.strip());
    } catch (IOException e) {
      throw EngineException.system("Error running ps: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw EngineException.system("interrupted");
    }
    String[] lines = out.split("\n");
    ObjectNode o = Container.M.createObjectNode();
    ArrayNode titles = o.putArray("Titles"), procs = o.putArray("Processes");
    if (lines.length == 0) return o;
    String[] t = lines[0].trim().split("\\s+");
    int pidCol = -1;
    for (int i = 0; i < t.length; i++) {
      titles.add(t[i]);
      if (t[i].equals("PID")) pidCol = i;
    }
    if (pidCol < 0) throw EngineException.system("Couldn't find PID field in ps output");
    for (int li = 1; li < lines.length; li++) {
      if (lines[li].isBlank()) continue;
      String[] f = lines[li].trim().split("\\s+", t.length);
      try {
        if (!pids.contains(Integer.parseInt(f[pidCol]))) continue;
      } catch (RuntimeException e) {
        continue;
      }
      ArrayNode row = procs.addArray();
      for (String x : f) row.add(x);
    }
    return o;
  }

  /** GET /containers/{id}/stats: a sampler of the container's cgroup accounting (unknown: 404). */
  public StatsSampler stats(String ref) {
    return new StatsSampler(this, get(ref));
  }

  /** The pin of a container's network namespace, or null without bridge networks (for {@link ContainerNetMode}). */
  Path netnsPin(Container c) {
    if (networks == null) return null;
    Path p = networks.netnsPath(c.id);
    return Files.exists(p) ? p : null;
  }

  /** Its interfaces' counters (stats' {@code networks}); empty without bridge networks. */
  java.util.Map<String, dev.berth.engine.networks.NetworkService.IfCounters> interfaceCounters(Container c) {
    return networks == null ? java.util.Map.of() : networks.interfaceCounters(c.id);
  }

  /** The cgroup of a running container, or null if it has none (not running). */
  public dev.berth.cgroups.CgroupManager cgroupOf(Container c) {
    try {
      return Events.manager(ctx, c.id);
    } catch (ContainerException e) {
      return null;
    }
  }

  /** POST /containers/{id}/update: resources (validated as dockerd), RestartPolicy. */
  public List<String> update(String ref, JsonNode body) {
    Container c = get(ref);
    if (!body.isObject()) throw EngineException.invalid("the body must be a JSON object");
    JsonNode policy = body.get("RestartPolicy");
    if (policy != null && policy.isObject()) {
      String bad = RestartManager.validate(policy);
      if (bad != null) throw EngineException.invalid(bad);
      if (!RestartManager.isNone(body) && c.hostConfig().path("AutoRemove").asBoolean(false)) {
        throw EngineException.invalid("Cannot update container " + c.id + ": Restart policy cannot be updated because AutoRemove is enabled for the container");
      }
    }
    ResourceOptions.Update u;
    try {
      u = ResourceOptions.update(c.hostConfig(), body, ResourceOptions.Host.current());
    } catch (IllegalArgumentException e) {
      throw EngineException.invalid(e.getMessage());
    }
    if (c.running()) {
      try {
        Update.update(ctx, c.id, ResourceOptions.toCgroups(u.linuxResources()));
      } catch (ContainerException | IllegalArgumentException e) {
        throw EngineException.system("Cannot update container " + c.id + ": " + e.getMessage());
      }
    }
    synchronized (c) {
      u.merged().properties().forEach(e -> c.hostConfig.set(e.getKey(), e.getValue()));
      if (body.has("RestartPolicy") && body.get("RestartPolicy").isObject()) c.hostConfig.set("RestartPolicy", body.get("RestartPolicy"));
    }
    save(c);
    return u.warnings();
  }

  /** A connection to the container's monitor (stdin, close, resize frames), or IOException if it has none. */
  public Control control(String ref) throws IOException {
    Container c = get(ref);
    if (!c.running()) throw EngineException.conflict("Container " + c.id + " is not running");
    return new Control(SocketChannel.open(UnixDomainSocketAddress.of(controlSocket(c))));
  }

  public void resize(String ref, int height, int width) {
    if (height < 0 || width < 0 || height > 65535 || width > 65535) throw EngineException.invalid("invalid terminal size");
    try (Control ctl = control(ref)) {
      ctl.resize(height, width);
    } catch (IOException e) {
      throw EngineException.system("cannot resize: " + e.getMessage());
    }
  }

  /** The monitor's control socket: frames [type u8][length u32 BE][payload]; 0 stdin, 1 close stdin, 2 resize. */
  public static final class Control implements Closeable {
    private final SocketChannel ch;

    Control(SocketChannel ch) { this.ch = ch; }

    private synchronized void frame(int type, byte[] payload, int off, int len) throws IOException {
      ByteBuffer b = ByteBuffer.allocate(5 + len);
      b.put((byte) type).putInt(len).put(payload, off, len).flip();
      while (b.hasRemaining()) ch.write(b);
    }

    public void stdin(byte[] data, int off, int len) throws IOException {
      for (int o = off; o < off + len; o += 32 * 1024) frame(0, data, o, Math.min(32 * 1024, off + len - o));
    }

    public void closeStdin() throws IOException { frame(1, new byte[0], 0, 0); }

    public void resize(int rows, int cols) throws IOException {
      frame(2, new byte[] {(byte) (rows >> 8), (byte) rows, (byte) (cols >> 8), (byte) cols}, 0, 4);
    }

    @Override public void close() throws IOException { ch.close(); }
  }

  // ---- output: logs and attach -------------------------------------------------------------------

  /** Where output goes: false means the client is gone (stop). */
  public interface Sink {
    boolean write(JsonLog.Entry e) throws IOException;
  }

  /**
   * GET /containers/{id}/logs: the entries of the whole log (across its rotated files) within
   * since/until, the last {@code tail}; with follow, then what the current run writes until it ends
   * (or the client leaves: {@code open} false), across rotations. {@link LogStreams}.
   */
  public void logs(String ref, Instant since, Instant until, int tail, boolean follow, Sink sink, BooleanSupplier open)
      throws IOException {
    LogStreams.logs(get(ref), since, until, tail, follow, sink, open);
  }

  /**
   * Attach's output: from now (a running container) or from the next start on, until that run has
   * ended and its output is all read.
   */
  public void attachOutput(String ref, Sink sink, BooleanSupplier open) throws IOException {
    LogStreams.attach(get(ref), false, true, sink, open);
  }

  /** Attach's output with logs=1 (the whole log first) and stream=0 (no live output) too. {@link LogStreams}. */
  public void attachOutput(String ref, boolean replay, boolean stream, Sink sink, BooleanSupplier open) throws IOException {
    LogStreams.attach(get(ref), replay, stream, sink, open);
  }

  // ---- inspect and list --------------------------------------------------------------------------

  /** GET /containers/{id}/json. */
  public ObjectNode inspect(String ref) {
    Container c = get(ref);
    ObjectNode o;
    synchronized (c) {
      o = c.toJson().deepCopy();
    }
    o.remove("ImageRef");
    o.remove("StoppedByUser");
    o.put("ResolvConfPath", c.dir.resolve("resolv.conf").toString());
    o.put("HostnamePath", c.dir.resolve("hostname").toString());
    o.put("HostsPath", c.dir.resolve("hosts").toString());
    o.put("LogPath", c.logPath().toString());
    o.put("Driver", "overlay2");
    o.put("Platform", "linux");
    o.put("MountLabel", "");
    o.put("ProcessLabel", "");
    o.put("AppArmorProfile", "");
    o.putNull("ExecIDs");
    ObjectNode gd = o.putObject("GraphDriver");
    gd.put("Name", "overlay2");
    Path snap = root.resolve("containers").resolve(c.id);
    ObjectNode data = gd.putObject("Data");
    data.put("MergedDir", snap.resolve("rootfs").toString());
    data.put("UpperDir", snap.resolve("upper").toString());
    data.put("WorkDir", snap.resolve("work").toString());
    ObjectNode hc = (ObjectNode) o.get("HostConfig");
    String nm = hc.path("NetworkMode").asText("");
    if (nm.isEmpty() || nm.equals("default")) hc.put("NetworkMode", "bridge");
    if (!hc.has("LogConfig")) hc.putObject("LogConfig").put("Type", "json-file").putObject("Config");
    o.set("NetworkSettings", networkSettings(c));
    ObjectNode state = (ObjectNode) o.get("State");
    if (!o.path("Config").has("Image")) ((ObjectNode) o.get("Config")).put("Image", c.imageRef);
    state.put("Status", state.get("Status").asText());
    var p = priority;
    var cls = dev.berth.engine.priority.PriorityClass.ofOrNull(c.config().get("Labels"));
    if (p != null) o.set("Berth", p.describe(c.id, cls));
    return o;
  }

  /** No network yet: the endpoints' shape, no address (none, host, or a namespace with loopback only). */
  ObjectNode networkSettings(Container c) {
    if (networks != null) return networks.networkSettings(c.id, c.hostConfig().path("NetworkMode").asText(""));
    ObjectNode n = Container.M.createObjectNode();
    n.put("Bridge", "");
    n.put("SandboxID", "");
    n.put("SandboxKey", "");
    n.putObject("Ports");
    n.put("HairpinMode", false);
    n.put("LinkLocalIPv6Address", "");
    n.put("LinkLocalIPv6PrefixLen", 0);
    n.putNull("SecondaryIPAddresses");
    n.putNull("SecondaryIPv6Addresses");
    n.put("EndpointID", "");
    n.put("Gateway", "");
    n.put("GlobalIPv6Address", "");
    n.put("GlobalIPv6PrefixLen", 0);
    n.put("IPAddress", "");
    n.put("IPPrefixLen", 0);
    n.put("IPv6Gateway", "");
    n.put("MacAddress", "");
    ObjectNode nets = n.putObject("Networks");
    String mode = c.hostConfig().path("NetworkMode").asText("");
    String name = mode.isEmpty() || mode.equals("default") ? "bridge" : mode;
    ObjectNode ep = nets.putObject(name);
    ep.putNull("IPAMConfig");
    ep.putNull("Links");
    ep.putNull("Aliases");
    ep.put("MacAddress", "");
    ep.put("NetworkID", "");
    ep.put("EndpointID", "");
    ep.put("Gateway", "");
    ep.put("IPAddress", "");
    ep.put("IPPrefixLen", 0);
    ep.put("IPv6Gateway", "");
    ep.put("GlobalIPv6Address", "");
    ep.put("GlobalIPv6PrefixLen", 0);
    ep.putNull("DNSNames");
    return n;
  }

  /** One element of GET /containers/json. */
  public ObjectNode summary(Container c) {
    ObjectNode o = Container.M.createObjectNode();
    synchronized (c) {
      o.put("Id", c.id);
      o.putArray("Names").add(c.name);
      o.put("Image", c.imageRef);
      o.put("ImageID", c.image);
      StringBuilder cmd = new StringBuilder(c.path);
      for (String a : c.args) cmd.append(' ').append(a);
      o.put("Command", cmd.toString());
      o.put("Created", Instant.parse(c.created).getEpochSecond());
      if (networks != null) o.set("Ports", networks.portsSummary(c.id));
      else o.putArray("Ports");
      o.set("Labels", c.config.path("Labels").isObject() ? c.config.get("Labels").deepCopy() : Container.M.createObjectNode());
      o.put("State", c.status);
      o.put("Status", statusText(c));
      String mode = c.hostConfig.path("NetworkMode").asText("");
      o.putObject("HostConfig").put("NetworkMode", mode.isEmpty() || mode.equals("default") ? "bridge" : mode);
      o.set("NetworkSettings", Container.M.createObjectNode().set("Networks", networkSettings(c).get("Networks")));
      o.set("Mounts", c.mounts == null ? Container.M.createArrayNode() : c.mounts.deepCopy());
    }
    return o;
  }

  /** "Up 5 seconds", "Exited (0) 3 minutes ago", "Created", "Up 2 minutes (Paused)". */
  static String statusText(Container c) {
    Instant now = Instant.now();
    return switch (c.status) {
      case "running" -> "Up " + human(java.time.Duration.between(Instant.parse(c.startedAt), now))
          + (c.health != null ? " (" + c.health.psText() + ")" : "");
      case "restarting" -> "Restarting (" + c.exitCode + ") " + human(java.time.Duration.between(Instant.parse(c.finishedAt), now)) + " ago";
      case "paused" -> "Up " + human(java.time.Duration.between(Instant.parse(c.startedAt), now)) + " (Paused)";
      case "exited" -> c.finishedAt.equals(Container.ZERO_TIME) ? "Exited (" + c.exitCode + ")"
          : "Exited (" + c.exitCode + ") " + human(java.time.Duration.between(Instant.parse(c.finishedAt), now)) + " ago";
      case "created" -> "Created";
      case "removing" -> "Removal In Progress";
      case "dead" -> "Dead";
      default -> c.status;
    };
  }

  /** go-units HumanDuration. */
  static String human(java.time.Duration d) {
    long s = Math.max(0, d.getSeconds());
    if (s < 1) return "Less than a second";
    if (s == 1) return "1 second";
    if (s < 60) return s + " seconds";
    long m = s / 60;
    if (m == 1) return "About a minute";
    if (m < 60) return m + " minutes";
    long h = Math.round(m / 60.0);
    if (h == 1) return "About an hour";
    if (h < 48) return h + " hours";
    if (h < 24 * 7 * 2) return h / 24 + " days";
    if (h < 24 * 30 * 2) return h / 24 / 7 + " weeks";
    if (h < 24 * 365 * 2) return h / 24 / 30 + " months";
    return h / 24 / 365 + " years";
  }

  // ---- networks (dev.berth.engine.networks.NetworkService) -------------------------------------

  /** berthd's networks, or null. */
  public dev.berth.engine.networks.NetworkService networks() { return networks; }

  private dev.berth.engine.networks.NetworkService.ContainerRef networkRef(String ref) {
    Container c;
    try {
      c = get(ref);
    } catch (EngineException e) {
      throw new dev.berth.engine.networks.NetworkException(e.kind() == EngineException.Kind.NOT_FOUND ? 404 : 400, e.getMessage());
    }
    return new dev.berth.engine.networks.NetworkService.ContainerRef(c.id, c.name(), OciSpec.hostname(c.id, c.config(), c.hostConfig()), c.running());
  }

  private static EngineException engineError(dev.berth.engine.networks.NetworkException e) {
    return new EngineException(switch (e.status()) {
      case 404 -> EngineException.Kind.NOT_FOUND;
      case 409 -> EngineException.Kind.CONFLICT;
      case 500 -> EngineException.Kind.SYSTEM;
      default -> EngineException.Kind.INVALID;
    }, e.getMessage());
  }

  private void checkNetwork(String mode) {
    if (mode.startsWith("container:")) {
      ContainerNetMode.check(this, mode);
      return;
    }
    if (mode.isEmpty() || mode.equals("default") || mode.equals("host") || mode.equals("none")) return;
    if (networks.find(mode).isEmpty()) throw new EngineException(EngineException.Kind.NOT_FOUND, "network " + mode + " not found");
  }

  private void registerNetworks(Container c, JsonNode networkingConfig) {
    try {
      networks.register(c.id, c.name(), OciSpec.hostname(c.id, c.config, c.hostConfig), c.hostConfig, networkingConfig,
          c.config.get("ExposedPorts"));
    } catch (dev.berth.engine.networks.NetworkException e) {
      throw engineError(e);
    }
  }

  /** Pins the container's namespace with its endpoints, points the spec at it, adds its addresses to /etc/hosts. */
  private boolean networkSetUp(Container c, ObjectNode spec) throws IOException {
    Path ns;
    try {
      ns = networks.setUp(c.id, c.name(), OciSpec.hostname(c.id, c.config(), c.hostConfig()));
    } catch (dev.berth.engine.networks.NetworkException e) {
      throw engineError(e);
    }
    if (ns == null) return false;
    for (JsonNode n : spec.path("linux").path("namespaces")) {
      if (n.path("type").asText().equals("network")) ((ObjectNode) n).put("path", ns.toString());
    }
    StringBuilder hosts = new StringBuilder(Files.readString(c.dir.resolve("hosts")));
    String hostname = OciSpec.hostname(c.id, c.config(), c.hostConfig());
    for (String a : networks.addresses(c.id)) hosts.append(a).append('\t').append(hostname).append('\n');
    writeAtomic(c.dir.resolve("hosts"), hosts.toString().getBytes(StandardCharsets.UTF_8), false);
    if (networks.onUserNetwork(c.id)) writeAtomic(c.dir.resolve("resolv.conf"), embeddedResolvConf(c).getBytes(StandardCharsets.UTF_8), false);
    return true;
  }

  /** A user network's resolv.conf: the embedded server 127.0.0.11, the host's (or --dns-search/--dns-option) search and options. */
  private static String embeddedResolvConf(Container c) {
    String host = null;
    try {
      host = Files.readString(Path.of("/etc/resolv.conf"));
    } catch (IOException e) {
      // none
    }
    List<String> dns = new ArrayList<>(), search = new ArrayList<>(), opts = new ArrayList<>();
    c.hostConfig().path("Dns").forEach(x -> dns.add(x.asText()));
    c.hostConfig().path("DnsSearch").forEach(x -> search.add(x.asText()));
    c.hostConfig().path("DnsOptions").forEach(x -> opts.add(x.asText()));
    try {
      return dev.berth.network.dns.EtcFiles.resolvConf(dev.berth.network.dns.EtcFiles.Network.INTERNAL, host, "/etc/resolv.conf", dns,
          search, opts, false).content();
    } catch (IllegalArgumentException e) {
      throw EngineException.invalid(e.getMessage());
    }
  }

  private void networkTearDown(String id) {
    try {
      networks.tearDown(id);
    } catch (RuntimeException e) {
      log.println("berthd: cannot tear down the network of " + id + ": " + e.getMessage());
    }
  }

  private void networkReconcile() {
    java.util.Set<String> running = new java.util.HashSet<>();
    for (Container c : byId.values()) if (c.running() || c.restarting()) running.add(c.id); // never touched by the sweep
    networks.reconcile(java.util.Set.copyOf(byId.keySet()), running);
  }
}
