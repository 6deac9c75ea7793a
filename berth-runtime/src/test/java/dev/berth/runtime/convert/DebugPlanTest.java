package dev.berth.runtime.convert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.runtime.plan.Plan;
import dev.berth.runtime.plan.PlanTag;
import dev.berth.spec.Process;
import dev.berth.sys.Linux;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The records of a debug session's plan (T_DEBUG_ROOT 59, T_DEBUG_MOUNT 60; docs/plan-format.md). */
class DebugPlanTest {
  static final Process PROC = new Process(false, null, "/", List.of("PATH=/bin"), List.of("sh"), List.of(), null,
      Process.Capabilities.NONE, true, null, null, new Process.User(0, 0, null, List.of()));
  static final LaunchOptions OPTS = new LaunchOptions("exec", "c1", Path.of("/run/x/c1"), Path.of("/b"), Path.of("/run/x/.exec/t.pid"),
      null, false, 0, null, false, null, null);

  Plan plan(List<String> ns) {
    return DebugPlan.of(PROC, OPTS, 4242, ns, List.of(Path.of("/sys/fs/cgroup/memory/berth/c1"), Path.of("/sys/fs/cgroup/pids/berth/c1")),
        null, 0, Path.of("/var/lib/berth/containers/debug-1/rootfs"), Path.of("/var/lib/berth/containers/c1/rootfs"), "/container");
  }

  @Test
  void joinsEveryNamespaceButTheMountNamespace() {
    Plan p = plan(List.of("pid", "network", "ipc", "uts", "mount", "cgroup"));
    assertThat(p.get(PlanTag.NAMESPACE)).extracting(r -> r.get(1)).containsExactly("/proc/4242/ns/pid", "/proc/4242/ns/net",
        "/proc/4242/ns/ipc", "/proc/4242/ns/uts", "/proc/4242/ns/cgroup");
    assertThat(p.get(PlanTag.ACTION)).containsExactly(List.of("exec"));
    assertThat(p.has(PlanTag.ROOTFS)).isFalse(); // no chroot into the container's root
    assertThat(p.has(PlanTag.EXEC_WAIT)).isTrue();
    assertThat(p.get(PlanTag.CGROUP)).containsExactly(List.of("/sys/fs/cgroup/memory/berth/c1"), List.of("/sys/fs/cgroup/pids/berth/c1"));
  }

  @Test
  void userNamespaceFirst() {
    Plan p = plan(List.of("pid", "user", "mount"));
    assertThat(p.get(PlanTag.NAMESPACE)).extracting(r -> r.get(1)).containsExactly("/proc/4242/ns/user", "/proc/4242/ns/pid");
  }

  @Test
  void debugRootAndMounts() {
    Plan p = plan(List.of("pid", "mount"));
    assertThat(p.get(PlanTag.DEBUG_ROOT)).containsExactly(List.of("/var/lib/berth/containers/debug-1/rootfs"));
    List<List<String>> m = p.get(PlanTag.DEBUG_MOUNT);
    // T_MOUNT's fields: source, dest, fstype, flags, data, propagation, kind
    assertThat(m).allSatisfy(r -> assertThat(r).hasSize(7));
    assertThat(m.getFirst()).containsExactly("/var/lib/berth/containers/c1/rootfs", "/container", "",
        Long.toString(Linux.MS_BIND | Linux.MS_REC), "", "0", "dir");
    assertThat(m).extracting(r -> r.get(1)).containsSubsequence("/container", "/proc", "/dev", "/dev/pts", "/dev/null", "/sys");
    List<String> proc = m.stream().filter(r -> r.get(1).equals("/proc")).findFirst().orElseThrow();
    assertThat(proc.get(2)).isEqualTo("proc");
    List<String> devpts = m.stream().filter(r -> r.get(1).equals("/dev/pts")).findFirst().orElseThrow();
    assertThat(devpts.get(4)).contains("newinstance").contains("ptmxmode=0666");
    List<String> nul = m.stream().filter(r -> r.get(1).equals("/dev/null")).findFirst().orElseThrow();
    assertThat(nul).containsExactly("/dev/null", "/dev/null", "", Long.toString(Linux.MS_BIND), "", "0", "file");
    // /dev before what goes in it
    List<String> dests = m.stream().map(r -> r.get(1)).toList();
    assertThat(dests.indexOf("/dev")).isLessThan(dests.indexOf("/dev/pts")).isLessThan(dests.indexOf("/dev/null"));
  }

  @Test
  void refusesWhatCannotBeASession() {
    assertThatThrownBy(() -> DebugPlan.of(PROC, OPTS, 1, List.of(), List.of(), null, 0, Path.of("rel"), Path.of("/c"), "/container"))
        .hasMessageContaining("absolute");
    assertThatThrownBy(() -> DebugPlan.of(PROC, OPTS, 1, List.of(), List.of(), null, 0, Path.of("/t"), Path.of("/c"), "/"))
        .hasMessageContaining("other than /");
    LaunchOptions detached = new LaunchOptions("exec", "c1", Path.of("/s"), null, Path.of("/p"), null, false, 0, null, true, null, null);
    assertThatThrownBy(() -> DebugPlan.of(PROC, detached, 1, List.of(), List.of(), null, 0, Path.of("/t"), Path.of("/c"), "/container"))
        .hasMessageContaining("wait");
  }

  @Test
  void encodesWithTheReservedTagNumbers() {
    assertThat(PlanTag.DEBUG_ROOT.number).isEqualTo(59);
    assertThat(PlanTag.DEBUG_MOUNT.number).isEqualTo(60);
    assertThat(plan(List.of("pid")).encode()).isNotEmpty();
  }
}
