package dev.berth.api.ops;

import dev.berth.api.TestBerthd;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * What one test berthd holds on the host, counted from the kernel's view (never the daemon's): the
 * mounts under its temp directory (snapshots, netns pins, volumes), the cgroups under its cgroup
 * parent (every hierarchy, containers counted once), its runtime state directories, the processes
 * of its containers and monitors, the host veths on its bridges, and berthd's own fds and threads.
 * After every container is removed all but berthd's own figures must read 0.
 */
public final class Leaks {
  private final TestBerthd d;

  public Leaks(TestBerthd d) { this.d = d; }

  public record Counts(int mounts, int cgroups, int states, int processes, int veths, int netns) {
    public int total() { return mounts + cgroups + states + processes + veths + netns; }

    @Override public String toString() {
      return "mounts=" + mounts + " cgroups=" + cgroups + " states=" + states + " processes=" + processes + " veths=" + veths + " netns=" + netns;
    }
  }

  public Counts count() throws IOException {
    return new Counts(mounts().size(), cgroups().size(), states(), processes().size(), veths().size(), list(d.tmp().resolve("run/netns")).size());
  }

  /** The cgroup parent TestBerthd gives its berthd ({@code BERTH_CGROUP_PARENT}). */
  public String cgroupParent() { return "berth-test-" + d.tmp().getFileName(); }

  /** Mount points under the test's temp directory. */
  public List<String> mounts() throws IOException {
    String prefix = d.tmp().toString() + "/";
    List<String> out = new ArrayList<>();
    for (String l : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      String[] f = l.split(" ");
      if (f.length > 4 && f[4].startsWith(prefix)) out.add(f[4]);
    }
    return out;
  }

  /** Container cgroups (directories right under the parent, union over the hierarchies). */
  public Set<String> cgroups() throws IOException {
    Set<String> out = new HashSet<>();
    List<Path> roots = new ArrayList<>(List.of(Path.of("/sys/fs/cgroup")));
    roots.addAll(list(Path.of("/sys/fs/cgroup")));
    for (Path h : roots) {
      for (Path c : list(h.resolve(cgroupParent()))) if (Files.isDirectory(c)) out.add(c.getFileName().toString());
    }
    return out;
  }

  /** Runtime state directories (not the runtime's own .cgroup-sweep, .seccomp-cache). */
  public int states() throws IOException {
    return (int) list(d.tmp().resolve("run/runtime")).stream().filter(p -> !p.getFileName().toString().startsWith(".")).count();
  }

  /**
   * Processes of this berthd other than itself: those in its cgroups, and berth-launch processes
   * (launchers, monitors, keepers) holding a file under its temp directory or parented by one that does.
   */
  public Set<Long> processes() throws IOException {
    Set<Long> out = new HashSet<>();
    List<Path> roots = new ArrayList<>(List.of(Path.of("/sys/fs/cgroup")));
    roots.addAll(list(Path.of("/sys/fs/cgroup")));
    for (Path h : roots) {
      Path p = h.resolve(cgroupParent());
      if (!Files.isDirectory(p)) continue;
      try (Stream<Path> s = Files.walk(p)) {
        for (Path f : s.filter(x -> x.getFileName().toString().equals("cgroup.procs")).toList()) {
          try {
            for (String l : Files.readAllLines(f)) if (!l.isBlank()) out.add(Long.parseLong(l.strip()));
          } catch (IOException gone) {
            // removed meanwhile
          }
        }
      } catch (IOException | java.io.UncheckedIOException gone) {
        // removed meanwhile
      }
    }
    String prefix = d.tmp().toString() + "/";
    Set<Long> launchers = new HashSet<>();
    for (Path p : list(Path.of("/proc"))) {
      String n = p.getFileName().toString();
      if (!n.chars().allMatch(Character::isDigit)) continue;
      try {
        String cmd = new String(Files.readAllBytes(p.resolve("cmdline"))).split("\0", 2)[0];
        if (!cmd.endsWith("/berth-launch")) continue;
        long pid = Long.parseLong(n);
        launchers.add(pid);
        for (Path fd : list(p.resolve("fd"))) {
          try {
            if (Files.readSymbolicLink(fd).toString().startsWith(prefix)) out.add(pid);
          } catch (IOException gone) {
            // closed meanwhile
          }
        }
      } catch (IOException | RuntimeException gone) {
        // ended meanwhile
      }
    }
    for (long pid : launchers) if (out.contains(pid) || out.contains(parent(pid))) out.add(pid);
    // a keeper is a monitor's parent
    for (long pid : new HashSet<>(out)) if (launchers.contains(parent(pid))) out.add(parent(pid));
    return out;
  }

  /** Interfaces whose master is one of this berthd's bridges (the default one, user networks' br-*). */
  public List<String> veths() throws IOException {
    Set<String> bridges = new HashSet<>(List.of(d.net().bridge()));
    for (Path f : list(d.tmp().resolve("lib/network/networks"))) {
      var m = java.util.regex.Pattern.compile("\"bridge\"\\s*:\\s*\"([^\"]+)\"").matcher(Files.readString(f));
      if (m.find()) bridges.add(m.group(1));
    }
    List<String> out = new ArrayList<>();
    for (String b : bridges) for (Path i : list(Path.of("/sys/class/net", b, "brif"))) out.add(i.getFileName().toString());
    return out;
  }

  /** berthd's pid: the java process serving this test's socket. */
  public long berthdPid() throws IOException {
    String needle = "unix://" + d.socket();
    for (Path p : list(Path.of("/proc"))) {
      String n = p.getFileName().toString();
      if (!n.chars().allMatch(Character::isDigit)) continue;
      try {
        String cmd = new String(Files.readAllBytes(p.resolve("cmdline")));
        if (cmd.contains("dev.berth.api.daemon.Berthd") && cmd.contains(needle)) return Long.parseLong(n);
      } catch (IOException gone) {
        // ended meanwhile
      }
    }
    throw new IOException("no berthd serving " + d.socket());
  }

  public int fds(long pid) throws IOException { return list(Path.of("/proc/" + pid + "/fd")).size(); }

  public int threads(long pid) throws IOException { return (int) status(pid, "Threads:"); }

  public long rssKiB(long pid) throws IOException { return status(pid, "VmRSS:"); }

  private static long status(long pid, String key) throws IOException {
    for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (l.startsWith(key)) return Long.parseLong(l.substring(key.length()).strip().split("\\s+")[0]);
    }
    return -1;
  }

  private static long parent(long pid) {
    try {
      String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
      return Long.parseLong(s.substring(s.lastIndexOf(')') + 2).split(" ")[1]);
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  static List<Path> list(Path dir) {
    if (!Files.isDirectory(dir)) return List.of();
    try (var s = Files.list(dir)) {
      return s.toList();
    } catch (IOException e) {
      return List.of();
    }
  }
}
