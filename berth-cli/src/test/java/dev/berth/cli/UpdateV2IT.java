package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.cgroups.CgroupLayout;
import dev.berth.cgroups.CgroupManager;
import dev.berth.cgroups.CgroupManagers;
import dev.berth.cgroups.Resources;
import dev.berth.runtime.state.ContainerRecord;
import dev.berth.runtime.state.VerbsRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The launcher's v2 update (berth-native update.c) writes what the JVM's v2 controllers
 * (berth-cgroups V2Memory, V2Cpu, V2Io, ...) write for the same runc flags. Both update the same
 * fake cgroup v2 tree (regular files; the v2 controllers are bound to v1 on these hosts): the JVM
 * through {@code CgroupLayout.fakeV2}, the launcher on a copy of the tree named by the container's
 * verbs record, as the JVM's {@code VerbsRecord} writes it from that layout (T_VERBS_CONTROLLERS:
 * the launcher reads no mountinfo). Every control file must end up the same, and the launcher must
 * not have handed over to the JVM.
 */
class UpdateV2IT {
  static final Path LAUNCHER = Runc.REPO.resolve("berth-native/target/berth-launch");

  static final Map<String, String> V2_ROOT = Map.ofEntries(
      Map.entry("cgroup.controllers", "cpuset cpu io memory pids"), Map.entry("cgroup.subtree_control", ""),
      Map.entry("cgroup.procs", ""),
      Map.entry("cpuset.cpus", ""), Map.entry("cpuset.mems", ""),
      Map.entry("cpuset.cpus.effective", "0-1"), Map.entry("cpuset.mems.effective", "0"),
      Map.entry("memory.max", "max"), Map.entry("memory.swap.max", "max"), Map.entry("memory.low", "0"),
      Map.entry("memory.current", "0"), Map.entry("memory.stat", "anon 0\nfile 0\ninactive_file 0\n"),
      Map.entry("cpu.weight", "100"), Map.entry("cpu.max", "max 100000"),
      Map.entry("io.weight", "default 100"), Map.entry("pids.max", "max"));

  Path tmp;
  Process sleeper;

  @BeforeEach
  void setUp() throws Exception {
    tmp = Files.createTempDirectory("berth-update-v2-");
    sleeper = new ProcessBuilder("sleep", "120").start();
    Path state = Files.createDirectories(tmp.resolve("state/c1"));
    Files.writeString(state.resolve("pid"), Long.toString(sleeper.pid()));
    Files.writeString(state.resolve("state.json"), "{\"id\": \"c1\", \"cgroupsPath\": \"/berth/c1\", \"owner\": \"root\"}");
    Path script = tmp.resolve("berth-runc");
    Files.writeString(script, "#!/bin/sh\necho \"$*\" > " + tmp.resolve("fell-back") + "\n");
    script.toFile().setExecutable(true);
  }

  @AfterEach
  void tearDown() throws Exception {
    sleeper.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    try (var w = Files.walk(tmp)) {
      for (Path p : w.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }

  /** A v2 tree with /berth/c1 made by the JVM's manager, and {@code before} written into c1. */
  Path tree(String name, Map<String, String> before) throws Exception {
    Path root = Files.createDirectories(tmp.resolve(name));
    for (var e : V2_ROOT.entrySet()) Files.writeString(root.resolve(e.getKey()), e.getValue());
    CgroupManagers.open("/berth/c1", "c1", CgroupLayout.fakeV2(root)).create(Resources.EMPTY);
    for (var e : before.entrySet()) Files.writeString(root.resolve("berth/c1").resolve(e.getKey()), e.getValue());
    return root;
  }

  static Map<String, String> files(Path dir) throws Exception {
    Map<String, String> m = new TreeMap<>();
    try (var s = Files.list(dir)) {
      for (Path f : s.filter(Files::isRegularFile).toList()) m.put(f.getFileName().toString(), Files.readString(f).strip());
    }
    return m;
  }

  /** The launcher's update of the tree at {@code root}, a cgroup v2 layout, as the verbs record names it. */
  void nativeUpdate(Path root, List<String> flags) throws Exception {
    var rec = new ContainerRecord("c1", "/b", "/b/rootfs", "2026-12-05T12:00:00Z", "1.2.0", "/berth/c1", "root", false,
        Map.of());
    Files.write(tmp.resolve("state/c1").resolve(VerbsRecord.FILE),
        VerbsRecord.encode(rec, List.of(root.resolve("berth/c1")), CgroupLayout.fakeV2(root), false, false));
    List<String> cmd = new ArrayList<>(List.of(LAUNCHER.toString(), "--update", tmp.resolve("berth-runc").toString(),
        "--root", tmp.resolve("state").toString(), "update"));
    cmd.addAll(flags);
    cmd.add("c1");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as(out).isZero();
    assertThat(tmp.resolve("fell-back")).as("the launcher handed %s to the JVM", flags).doesNotExist();
  }

  void same(Map<String, String> before, Resources jvm, String... flags) throws Exception {
    Path j = tree("jvm-" + flags.length + "-" + Math.abs(List.of(flags).hashCode()), before);
    Path n = tree("native-" + flags.length + "-" + Math.abs(List.of(flags).hashCode()), before);
    CgroupManager m = CgroupManagers.open("/berth/c1", "c1", CgroupLayout.fakeV2(j));
    m.update(jvm);
    nativeUpdate(n, List.of(flags));
    assertThat(files(n.resolve("berth/c1"))).as("launcher vs JVM for %s", List.of(flags))
        .isEqualTo(files(j.resolve("berth/c1")));
  }

  static Resources memory(Long limit, Long swap, Long reservation) {
    return Resources.EMPTY.withMemory(new Resources.Memory(limit, reservation, swap, null, null, null, null, null, null));
  }

  static Resources cpu(Long shares, Long quota, Long period) {
    return Resources.EMPTY.withCpu(new Resources.Cpu(shares, quota, null, period, null, null, null, null, null));
  }

  @Test
  void theLauncherWritesWhatTheJvmWrites() throws Exception {
    same(Map.of(), Resources.EMPTY
            .withMemory(new Resources.Memory(64L << 20, 32L << 20, 128L << 20, null, null, null, null, null, null))
            .withCpu(new Resources.Cpu(512L, 50_000L, null, 100_000L, null, null, "1", "0", null))
            .withPids(new Resources.Pids(40L)).withBlockIO(Resources.BlockIO.weight(500)),
        "--memory", "64m", "--memory-swap", "128m", "--memory-reservation", "32m", "--cpu-shares", "512",
        "--cpu-quota", "50000", "--cpu-period", "100000", "--cpuset-cpus", "1", "--cpuset-mems", "0",
        "--pids-limit", "40", "--blkio-weight", "500");
    for (long shares : new long[] {2, 3, 1024, 100_000, 262_144}) {
      same(Map.of(), cpu(shares, null, null), "--cpu-shares", Long.toString(shares));
    }
    same(Map.of("cpu.max", "max 250000"), cpu(null, 20_000L, null), "--cpu-quota", "20000");
    same(Map.of("cpu.max", "30000 250000"), cpu(null, null, 50_000L), "--cpu-period", "50000");
    same(Map.of("cpu.max", "30000 250000"), cpu(null, -1L, null), "--cpu-quota", "-1");
    same(Map.of("memory.max", Long.toString(100L << 20)), memory(null, 300L << 20, null), "--memory-swap", "300m");
    same(Map.of("memory.max", "1048576", "memory.swap.max", "0"), memory(-1L, -1L, -1L),
        "--memory", "-1", "--memory-swap", "-1", "--memory-reservation", "-1");
    same(Map.of(), memory(1L << 30, 1L << 30, null), "--memory", "1g", "--memory-swap", "1g");
    same(Map.of(), Resources.EMPTY.withPids(new Resources.Pids(0L)), "--pids-limit", "0");
    for (int w : new int[] {10, 333, 1000}) {
      same(Map.of(), Resources.EMPTY.withBlockIO(Resources.BlockIO.weight(w)), "--blkio-weight", Integer.toString(w));
    }
    same(Map.of("io.bfq.weight", "default 100"), Resources.EMPTY.withBlockIO(Resources.BlockIO.weight(300)),
        "--blkio-weight", "300");
  }
}
