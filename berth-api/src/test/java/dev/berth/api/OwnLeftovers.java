package dev.berth.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * What one test berthd made on the host, and whether it is gone: its bridges, the veths that were
 * on them, its nftables table (published-port elements), its netns pins, mounts under its temp
 * root, cgroups under its cgroup parent and processes in them or running from its root. Never a
 * statement about the host as a whole: other berthds, podman's CNI and the other helpers' tests
 * run beside it, so only names this berthd owns are looked at.
 *
 * <p>{@link TestBerthd#close} uses it twice: {@link #afterContainersRemoved} once berthd removed
 * every container and user network and was stopped (what berthd itself must have cleaned), and
 * {@link #afterClose} once the test's own cleanup ran (bridges, table, temp root, cgroup parent).
 * A test may call {@link #sample} whenever containers run, to learn their veths.
 */
public final class OwnLeftovers {
  private static final Pattern BRIDGE_FIELD = Pattern.compile("\"bridge\"\\s*:\\s*\"([^\"]+)\"");
  private static final Pattern VETH_FIELD = Pattern.compile("\"hostVeth\"\\s*:\\s*\"([^\"]+)\"");

  private final TestBerthd.Net net;
  private final Path tmp;
  private final String cgroupParent;
  private final Set<String> bridges = new LinkedHashSet<>();
  private final Set<String> veths = new LinkedHashSet<>();

  OwnLeftovers(TestBerthd.Net net, Path tmp, String cgroupParent) {
    this.net = net;
    this.tmp = tmp;
    this.cgroupParent = cgroupParent;
    bridges.add(net.bridge());
  }

  /** Learns this berthd's bridges (its network records) and the veths on them now. */
  public synchronized void sample() {
    scan(tmp.resolve("lib/network/networks"), BRIDGE_FIELD, bridges);
    scan(tmp.resolve("lib/network/endpoints"), VETH_FIELD, veths);
    for (String b : bridges) {
      Path brif = Path.of("/sys/class/net", b, "brif");
      if (!Files.isDirectory(brif)) continue;
      try (var ds = Files.newDirectoryStream(brif)) {
        for (Path p : ds) veths.add(p.getFileName().toString());
      } catch (IOException e) {
        // the bridge went meanwhile
      }
    }
  }

  public synchronized Set<String> bridges() { return Set.copyOf(bridges); }

  public synchronized Set<String> veths() { return Set.copyOf(veths); }

  private static void scan(Path dir, Pattern p, Set<String> into) {
    if (!Files.isDirectory(dir)) return;
    try (var ds = Files.newDirectoryStream(dir)) {
      for (Path f : ds) {
        try {
          var m = p.matcher(Files.readString(f));
          while (m.find()) into.add(m.group(1));
        } catch (IOException e) {
          // removed meanwhile
        }
      }
    } catch (IOException e) {
      // gone
    }
  }

  /**
   * After berthd removed all its containers and user networks and stopped: nothing a container
   * owned may remain (the default bridge and the table itself may: berthd keeps them across
   * restarts). Returns what is left, empty if none.
   */
  public synchronized List<String> afterContainersRemoved() throws Exception {
    sample();
    List<String> left = new ArrayList<>();
    for (String b : bridges) {
      Path brif = Path.of("/sys/class/net", b, "brif");
      if (!Files.isDirectory(brif)) continue;
      try (var ds = Files.newDirectoryStream(brif)) {
        for (Path p : ds) left.add("veth " + p.getFileName() + " still on bridge " + b);
      }
    }
    for (String v : veths) if (Files.exists(Path.of("/sys/class/net", v))) left.add("veth " + v + " of a removed container");
    Path pins = tmp.resolve("run/netns");
    if (Files.isDirectory(pins)) {
      try (var ds = Files.newDirectoryStream(pins)) {
        for (Path p : ds) left.add("netns pin " + p);
      }
    }
    for (String m : mountsUnderTmp()) left.add("mount " + m);
    for (String map : List.of("pub4", "pub6")) {
      String out = run("nft", "list", "map", "inet", net.nftTable(), map);
      if (out.contains("elements")) left.add("nft map " + net.nftTable() + " " + map + " still has elements: " + out.strip());
    }
    for (Path h : cgroupParents()) {
      try (var ds = Files.newDirectoryStream(h, Files::isDirectory)) {
        for (Path c : ds) left.add("cgroup " + c);
      }
    }
    left.addAll(processes());
    return left;
  }

  /** After the test's own cleanup: every bridge, veth, table, mount, cgroup and process of this berthd gone. */
  public synchronized List<String> afterClose() throws Exception {
    List<String> left = new ArrayList<>();
    for (String b : bridges) if (Files.exists(Path.of("/sys/class/net", b))) left.add("bridge " + b);
    for (String v : veths) if (Files.exists(Path.of("/sys/class/net", v))) left.add("veth " + v);
    if (run("nft", "list", "tables").contains("inet " + net.nftTable() + "\n")) left.add("nft table inet " + net.nftTable());
    for (String m : mountsUnderTmp()) left.add("mount " + m);
    for (Path h : cgroupParents()) left.add("cgroup " + h);
    left.addAll(processes());
    if (Files.exists(tmp)) left.add("temp root " + tmp);
    return left;
  }

  private List<String> mountsUnderTmp() throws IOException {
    List<String> out = new ArrayList<>();
    String prefix = tmp.toString() + "/";
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      String[] f = line.split(" ");
      if (f.length > 4 && (f[4].startsWith(prefix) || f[4].equals(tmp.toString()))) out.add(f[4]);
    }
    return out;
  }

  private List<Path> cgroupParents() throws IOException {
    List<Path> out = new ArrayList<>();
    Path root = Path.of("/sys/fs/cgroup");
    if (Files.isDirectory(root.resolve(cgroupParent))) out.add(root.resolve(cgroupParent));
    try (var ds = Files.newDirectoryStream(root)) {
      for (Path h : ds) {
        Path p = h.resolve(cgroupParent);
        if (!h.equals(root.resolve(cgroupParent)) && Files.isDirectory(p)) out.add(p);
      }
    } catch (IOException e) {
      // a hierarchy went meanwhile
    }
    return out;
  }

  /** Processes in a cgroup under this berthd's parent, or whose command line names its temp root. */
  private List<String> processes() {
    // a process killed with its container may still be exiting (empty cmdline, being reaped): only
    // what is still there after 10 s is left behind
    List<String> out = processesNow();
    for (long end = System.nanoTime() + 10_000_000_000L; !out.isEmpty() && System.nanoTime() < end; out = processesNow()) {
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return out;
  }

  private List<String> processesNow() {
    List<String> out = new ArrayList<>();
    String self = Long.toString(ProcessHandle.current().pid());
    String cg = "/" + cgroupParent + "/";
    try (var ds = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("[0-9]+"))) {
      for (Path p : ds) {
        if (p.getFileName().toString().equals(self)) continue;
        try {
          String cgroup = Files.readString(p.resolve("cgroup"));
          String cmd = new String(Files.readAllBytes(p.resolve("cmdline"))).replace('\0', ' ').strip();
          if (cgroup.contains(cg) || cmd.contains(tmp.toString())) out.add("process " + p.getFileName() + " (" + cmd + ")");
        } catch (IOException e) {
          // exited meanwhile
        }
      }
    } catch (IOException e) {
      out.add("cannot list /proc: " + e.getMessage());
    }
    return out;
  }

  static String run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS)) p.destroyForcibly();
    return out;
  }
}
