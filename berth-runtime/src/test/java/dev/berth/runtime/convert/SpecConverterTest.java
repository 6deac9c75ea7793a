package dev.berth.runtime.convert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.runtime.plan.Plan;
import dev.berth.runtime.plan.PlanTag;
import dev.berth.spec.Spec;
import dev.berth.spec.SpecException;
import dev.berth.spec.SpecValidator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpecConverterTest {
  @TempDir Path bundle;

  Plan plan(String json) throws Exception {
    Files.createDirectories(bundle.resolve("rootfs"));
    Files.writeString(bundle.resolve("data.txt"), "x");
    Spec spec = SpecValidator.validate(Spec.parse(json.getBytes(StandardCharsets.UTF_8)));
    LaunchOptions o = new LaunchOptions("run", "c1", bundle.resolve("state"), bundle, null, null, false, 0, null, false,
        null, null);
    return SpecConverter.containerPlan(spec, o, bundle.resolve("rootfs"), List.of(Path.of("/sys/fs/cgroup/pids/berth/c1")),
        null, 0, List.of(new dev.berth.cgroups.CgroupLayout.Mount(Path.of("/sys/fs/cgroup/pids"), "cgroup", "pids")));
  }

  static final String BASE = """
      {"ociVersion":"1.2.0","root":{"path":"rootfs"},
       "process":{"args":["sh"],"cwd":"/","capabilities":{"bounding":["CAP_KILL","CAP_CHOWN"],
         "permitted":["CAP_KILL"],"inheritable":[],"ambient":["CAP_KILL"]}},
       "mounts":[{"destination":"/data","source":"data.txt","options":["bind","ro"]},
                 {"destination":"/tmp","type":"tmpfs","source":"tmpfs","options":["nosuid","size=1m"]},
                 {"destination":"/sys/fs/cgroup","type":"cgroup","source":"cgroup","options":["ro"]}],
       "linux":{"namespaces":[{"type":"pid"},{"type":"mount"},{"type":"user"}],
         "uidMappings":[{"containerID":0,"hostID":100000,"size":65536}],
         "gidMappings":[{"containerID":0,"hostID":100000,"size":65536}]}}""";

  Plan planWith(LaunchOptions o) throws Exception {
    Files.createDirectories(bundle.resolve("rootfs"));
    Files.writeString(bundle.resolve("data.txt"), "x");
    Spec spec = SpecValidator.validate(Spec.parse(BASE.getBytes(StandardCharsets.UTF_8)));
    return SpecConverter.containerPlan(spec, o, bundle.resolve("rootfs"), List.of(), null, 0, List.of());
  }

  @Test
  void monitorKeptStdioBecomesItsRecordsOnlyForADetachedRun() throws Exception {
    MonitorIo io = new MonitorIo(bundle.resolve("json.log"), bundle.resolve("ctl.sock"), true);
    Path exit = bundle.resolve("state/exit");
    Plan p = planWith(new LaunchOptions("run", "c1", bundle.resolve("state"), bundle, null, null, false, 0, exit, false,
        null, null, io));
    assertThat(p.get(PlanTag.LOG_JSON)).containsExactly(List.of(bundle.resolve("json.log").toString()));
    assertThat(p.get(PlanTag.CONTROL_SOCKET)).containsExactly(List.of(bundle.resolve("ctl.sock").toString()));
    assertThat(p.get(PlanTag.OPEN_STDIN)).hasSize(1);
    Plan closed = planWith(new LaunchOptions("run", "c1", bundle.resolve("state"), bundle, null, null, false, 0, exit,
        false, null, null, new MonitorIo(bundle.resolve("json.log"), bundle.resolve("ctl.sock"), false)));
    assertThat(closed.get(PlanTag.OPEN_STDIN)).isEmpty();
    assertThat(closed.get(PlanTag.LOG_ROTATE)).as("no rotation unless asked").isEmpty();
    Plan rotated = planWith(new LaunchOptions("run", "c1", bundle.resolve("state"), bundle, null, null, false, 0, exit,
        false, null, null, new MonitorIo(bundle.resolve("json.log"), bundle.resolve("ctl.sock"), false, 10_000, 3)));
    assertThat(rotated.get(PlanTag.LOG_ROTATE)).containsExactly(List.of("10000", "3"));
    assertThat(planWith(new LaunchOptions("run", "c1", bundle.resolve("state"), bundle, null, null, false, 0, exit, false,
        null, null)).get(PlanTag.LOG_JSON)).isEmpty();
    assertThatThrownBy(() -> planWith(new LaunchOptions("run", "c1", bundle.resolve("state"), bundle, null, null, false, 0,
        null, false, null, null, io))).hasMessageContaining("detached run");
    assertThatThrownBy(() -> planWith(new LaunchOptions("create", "c1", bundle.resolve("state"), bundle, null, null, false,
        0, exit, false, null, null, io))).hasMessageContaining("detached run");
    assertThatThrownBy(() -> planWith(new LaunchOptions("run", "c1", bundle.resolve("state"), bundle, null,
        bundle.resolve("console.sock"), false, 0, exit, false, null, null, io))).hasMessageContaining("console socket");
    assertThatThrownBy(() -> planWith(new LaunchOptions("run", "c1", bundle.resolve("state"), bundle, null, null, false, 0,
        exit, false, null, null, new MonitorIo(bundle.resolve("json.log"), Path.of("/" + "s".repeat(120)), false))))
        .hasMessageContaining("107 bytes");
  }

  @Test
  void userNamespaceComesFirstAndDevicesAreBoundInIt() throws Exception {
    Plan p = plan(BASE);
    assertThat(p.get(PlanTag.NAMESPACE).getFirst()).containsExactly("268435456", "");
    assertThat(p.get(PlanTag.UID_MAP)).containsExactly(List.of("0", "100000", "65536"));
    assertThat(p.get(PlanTag.DEVICE)).allSatisfy(d -> assertThat(d.get(7)).isEqualTo("1"));
    assertThat(p.get(PlanTag.DEVICE)).extracting(d -> d.getFirst()).contains("/dev/null", "/dev/tty", "/dev/urandom");
  }

  @Test
  void bindSourcesResolveInTheBundleAndKnowTheirKind() throws Exception {
    List<String> bind = plan(BASE).get(PlanTag.MOUNT).getFirst();
    assertThat(bind.get(0)).isEqualTo(bundle.resolve("data.txt").toString());
    assertThat(bind.get(1)).isEqualTo("/data");
    assertThat(Long.parseLong(bind.get(3)) & (dev.berth.sys.Linux.MS_BIND | dev.berth.sys.Linux.MS_RDONLY))
        .isEqualTo(dev.berth.sys.Linux.MS_BIND | dev.berth.sys.Linux.MS_RDONLY);
    assertThat(bind.get(6)).isEqualTo("file");
  }

  @Test
  void cgroupMountWithoutCgroupNamespaceBindsOnlyTheContainersOwnCgroup() throws Exception {
    List<List<String>> mounts = plan(BASE).get(PlanTag.MOUNT);
    assertThat(mounts).anySatisfy(m -> assertThat(m).startsWith("tmpfs", "/sys/fs/cgroup", "tmpfs"));
    assertThat(mounts).anySatisfy(m -> assertThat(m).startsWith("/sys/fs/cgroup/pids/berth/c1", "/sys/fs/cgroup/pids"));
  }

  @Test
  void ambientIsLimitedToPermittedAndInheritable() throws Exception {
    List<String> caps = plan(BASE).get(PlanTag.CAPS).getFirst();
    assertThat(caps.get(0)).isEqualTo(String.valueOf((1L << 5) | (1L << 0)));
    assertThat(caps.get(3)).isEqualTo(String.valueOf(1L << 5));
    assertThat(caps.get(4)).isEqualTo("0");
  }

  @Test
  void missingBindSourceIsNamed() {
    assertThatThrownBy(() -> plan(BASE.replace("data.txt", "nope.txt")))
        .isInstanceOf(SpecException.class).hasMessageContaining("mounts[0].source: no such file or directory");
  }

  @Test
  void unknownCapabilityIsNamed() {
    assertThatThrownBy(() -> plan(BASE.replace("CAP_CHOWN", "CAP_BOGUS")))
        .isInstanceOf(SpecException.class).hasMessageContaining("process.capabilities.bounding");
  }

  @Test
  void undoListEndsWithTheStateDirectoryAndTheEmptyParent() throws Exception {
    Plan p = plan(BASE);
    List<List<String>> cleanup = p.get(PlanTag.CLEANUP);
    assertThat(cleanup.get(cleanup.size() - 2)).containsExactly(bundle.resolve("state").toString());
    assertThat(cleanup.getLast()).as("the default parent, pruned when empty").containsExactly("/sys/fs/cgroup/pids/berth");
    assertThat(p.get(PlanTag.KILL_CGROUP)).containsExactly(List.of("/sys/fs/cgroup/pids/berth/c1"));
  }
}
