package dev.berth.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A bin/berthd of a test's own: temp socket, --root, --exec-root and cgroup parent (so it holds
 * whatever else runs on the machine), with scripts/mk-oci-image.sh's busybox loaded, and the real
 * docker CLI pointed at it. {@link #close} stops it and removes all it made.
 */
public final class TestBerthd implements AutoCloseable {
  public static final Path REPO = Path.of("..").toAbsolutePath().normalize();
  public static final Path DOCKER = Path.of("/usr/local/bin/docker");
  public static final String IMAGE = "localhost/berth/busybox:latest";

  private final Path tmp;
  private final Path socket;
  private final String cgroupParent;
  private Process process;
  private final Net net = Net.pick();
  private OwnLeftovers leftovers;
  private List<String> extraArgs = List.of();

  public record Ran(int code, String out, String err) {
    public Ran ok() {
      if (code != 0) fail("exit " + code + ": " + out + err);
      return this;
    }
  }

  private TestBerthd(Path tmp, Path socket, String cgroupParent, Process process) {
    this.tmp = tmp;
    this.socket = socket;
    this.cgroupParent = cgroupParent;
    this.process = process;
    this.leftovers = new OwnLeftovers(net, tmp, cgroupParent);
  }

  /** What this berthd made on the host (checked by {@link #close}). */
  public OwnLeftovers leftovers() { return leftovers; }

  public String cgroupParent() { return cgroupParent; }

  /** Starts one; {@code name} names its temp directory. Fails naming a missing tool. */
  /** As {@link #start(String)}, with more berthd flags (e.g. --preempt-mode graceful). */
  public static TestBerthd start(String name, String... berthdArgs) throws Exception {
    return start(name, List.of(berthdArgs));
  }

  public static TestBerthd start(String name) throws Exception {
    return start(name, List.of());
  }

  private static TestBerthd start(String name, List<String> berthdArgs) throws Exception {
    for (Path tool : List.of(REPO.resolve("bin/berthd"), DOCKER, Path.of("/usr/bin/python3"), Path.of("/bin/busybox"))) {
      if (!Files.isExecutable(tool)) fail("missing: " + tool + (tool.toString().contains("busybox") ? " (Debian busybox-static)" : ""));
    }
    Path tmp = Files.createTempDirectory("berth-" + name + "-it-");
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    String cgroupParent = "berth-test-" + tmp.getFileName();
    Process mk = new ProcessBuilder("sh", REPO.resolve("scripts/mk-oci-image.sh").toString(), tmp.resolve("img").toString(), IMAGE)
        .redirectErrorStream(true).start();
    String mkOut = new String(mk.getInputStream().readAllBytes());
    assertThat(mk.waitFor()).as("mk-oci-image: %s", mkOut).isZero();
    dev.berth.image.Images.open(tmp.resolve("lib")).load(tmp.resolve("img/image.tar"), null, dev.berth.image.api.Platform.DEFAULT);
    Files.createDirectories(tmp.resolve("docker-config"));
    Path socket = tmp.resolve("d.sock");
    TestBerthd d = new TestBerthd(tmp, socket, cgroupParent, null);
    d.extraArgs = berthdArgs;
    d.process = d.spawn();
    return d;
  }

  /**
   * This berthd's own network names, so that parallel berthds never collide: a bridge name, a
   * 10.x.y.1/24 default bridge (--bip) no route of the host uses, a pool of /28s for new user
   * networks, an nftables table.
   */
  public record Net(String bridge, String bip, String pool, String nftTable) {
    public static Net pick() {
      java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
      String routes;
      try {
        routes = Files.readString(Path.of("/proc/net/route"));
      } catch (java.io.IOException e) {
        routes = "";
      }
      for (;;) {
        int a = r.nextInt(100, 164), b = r.nextInt(1, 255), c = a + 64;
        // /proc/net/route holds destinations as little-endian hex: 10.a.b.0 is 00bbaa0a
        if (routes.contains(String.format("%02X%02X%02X0A", 0, b, a)) || routes.contains(String.format("%02X%02X%02X0A", 0, b, c))) continue;
        String tag = Integer.toHexString(r.nextInt(0x10000000, Integer.MAX_VALUE));
        return new Net("bt" + tag, "10." + a + "." + b + ".1/24", "base=10." + c + "." + b + ".0/24,size=28", "berth_t_" + tag);
      }
    }
  }

  /** This berthd's bridge name, --bip, user-network pool and nftables table. */
  public Net net() { return net; }

  private Process spawn() throws Exception {
    return spawn(tmp, socket, cgroupParent, net, extraArgs);
  }

  private static Process spawn(Path tmp, Path socket, String cgroupParent, Net net, List<String> extraArgs) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(concat(REPO.resolve("bin/berthd").toString(), "-H", "unix://" + socket, "--root",
        tmp.resolve("lib").toString(), "--exec-root", tmp.resolve("run").toString(), "--bridge", net.bridge(), "--bip", net.bip(),
        "--default-address-pool", net.pool(), "--nft-table", net.nftTable(), extraArgs))
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(tmp.resolve("berthd.log").toFile()));
    pb.environment().put("BERTH_CGROUP_PARENT", cgroupParent);
    Process p = pb.start();
    for (int i = 0; i < 600 && !Files.exists(socket); i++) Thread.sleep(50);
    if (!Files.exists(socket)) fail("berthd did not start: " + Files.readString(tmp.resolve("berthd.log")));
    return p;
  }

  private static List<String> concat(Object... parts) {
    List<String> out = new ArrayList<>();
    for (Object o : parts) {
      if (o instanceof List<?> l) l.forEach(x -> out.add(x.toString()));
      else out.add(o.toString());
    }
    return out;
  }

  /** kill -9 of berthd: its containers run on (live restore); {@link #restart} starts a new one. */
  public void kill9() throws Exception {
    process.destroyForcibly(); // SIGKILL
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** A clean stop of berthd (SIGTERM): its containers run on (live restore); {@link #restart} starts a new one. */
  public void stop() throws Exception {
    process.destroy(); // SIGTERM
    if (!process.waitFor(20, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
  }

  /** A new berthd over the same roots, socket, cgroup parent and Net (after {@link #kill9} or {@link #stop}). */
  public void restart() throws Exception {
    Files.deleteIfExists(socket);
    process = spawn();
  }

  /** What berthd wrote to stderr (all its runs). */
  public String log() throws Exception { return Files.readString(tmp.resolve("berthd.log")); }

  public Path tmp() { return tmp; }

  public Path socket() { return socket; }

  public Ran docker(String... args) throws Exception {
    return dockerIn(null, args);
  }

  /** The docker CLI with {@code stdin} (null: /dev/null) against this berthd; 120 s at most. */
  public Ran dockerIn(String stdin, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(DOCKER.toString()));
    cmd.addAll(List.of(args));
    Ran r = run(cmd, Map.of("DOCKER_HOST", "unix://" + socket, "DOCKER_CONFIG", tmp.resolve("docker-config").toString()), tmp, stdin);
    leftovers.sample();
    return r;
  }

  /**
   * Runs {@code cmd} with {@code env} added to this process's environment and {@code stdin} (null:
   * /dev/null); its output goes through temp files in {@code dir}; 120 s at most.
   */
  public static Ran run(List<String> cmd, Map<String, String> env, Path dir, String stdin) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().putAll(env);
    if (stdin == null) pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    Process p = pb.start();
    if (stdin != null) {
      try (var in = p.getOutputStream()) {
        in.write(stdin.getBytes(StandardCharsets.UTF_8));
      }
    }
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("timed out: " + cmd);
    }
    Ran r = new Ran(p.exitValue(), Files.readString(out), Files.readString(err));
    Files.deleteIfExists(out);
    Files.deleteIfExists(err);
    return r;
  }

  /**
   * Removes what is left of the test's containers and user networks through berthd itself, stops
   * it, checks that it left nothing a container owned ({@link OwnLeftovers#afterContainersRemoved}),
   * removes its bridges, table, mounts, cgroup parent and temp directory, and checks that all of
   * them are gone ({@link OwnLeftovers#afterClose}); fails naming what was left (after cleaning it).
   */
  @Override
  public void close() throws Exception {
    List<String> left = new ArrayList<>();
    if (process.isAlive()) {
      String ids = docker("ps", "-aq").out().strip();
      if (!ids.isEmpty()) {
        List<String> rm = new ArrayList<>(List.of("rm", "-f", "-v"));
        rm.addAll(List.of(ids.split("\\s+")));
        Ran r = docker(rm.toArray(String[]::new));
        if (r.code() != 0) left.add("docker rm -f failed: " + r.out() + r.err());
      }
      Ran r = docker("network", "prune", "-f");
      if (r.code() != 0) left.add("docker network prune failed: " + r.out() + r.err());
    }
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    for (String s : leftovers.afterContainersRemoved()) left.add("left by berthd: " + s);
    removeCgroups();
    removeNetworking();
    unmountUnder(tmp);
    new ProcessBuilder("rm", "-rf", "--one-file-system", tmp.toString()).start().waitFor();
    for (String s : leftovers.afterClose()) left.add("left after cleanup: " + s);
    if (!left.isEmpty()) fail("test berthd " + tmp.getFileName() + " left behind:\n  " + String.join("\n  ", left));
  }

  /** Kills what still runs in this berthd's cgroup parent (v2 cgroup.kill) and removes it, children first. */
  private void removeCgroups() throws Exception {
    try (var ds = Files.newDirectoryStream(Path.of("/sys/fs/cgroup"))) {
      for (Path h : ds) {
        Path parent = h.getFileName().toString().equals(cgroupParent) ? h : h.resolve(cgroupParent);
        if (!Files.isDirectory(parent)) continue;
        Path kill = parent.resolve("cgroup.kill");
        if (Files.exists(kill)) Files.writeString(kill, "1");
        List<Path> dirs;
        try (var w = Files.walk(parent)) {
          dirs = w.filter(Files::isDirectory).sorted(java.util.Comparator.reverseOrder()).toList();
        }
        for (Path d : dirs) {
          for (int i = 0; i < 50; i++) {
            try {
              Files.deleteIfExists(d);
              break;
            } catch (java.io.IOException e) {
              Thread.sleep(100); // EBUSY while killed processes exit
            }
          }
        }
      }
    }
  }

  /** Lazily unmounts every mount under {@code dir}, deepest first (so rm -rf never walks into one). */
  private static void unmountUnder(Path dir) throws Exception {
    List<String> points = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      String[] f = line.split(" ");
      if (f.length > 4 && (f[4].startsWith(dir + "/") || f[4].equals(dir.toString()))) points.add(f[4]);
    }
    points.sort(java.util.Comparator.reverseOrder());
    for (String m : points) new ProcessBuilder("umount", "-l", m).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
  }

  /** The bridges (default and user networks), namespace pins and nftables table this berthd made. */
  private void removeNetworking() throws Exception {
    List<String> bridges = new ArrayList<>(leftovers.bridges());
    Path nets = tmp.resolve("lib/network/networks");
    if (Files.isDirectory(nets)) {
      try (var ds = Files.newDirectoryStream(nets, "*.json")) {
        for (Path f : ds) {
          var m = java.util.regex.Pattern.compile("\"bridge\"\\s*:\\s*\"([^\"]+)\"").matcher(Files.readString(f));
          if (m.find()) bridges.add(m.group(1));
        }
      }
    }
    for (String b : bridges) new ProcessBuilder("ip", "link", "del", b).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
    Path pins = tmp.resolve("run/netns");
    if (Files.isDirectory(pins)) {
      try (var ds = Files.newDirectoryStream(pins)) {
        for (Path p : ds) new ProcessBuilder("umount", "-l", p.toString()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
      }
    }
    new ProcessBuilder("nft", "delete", "table", "inet", net.nftTable()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
  }
}
