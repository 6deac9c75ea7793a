package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.engine.spec.CapabilityOptions;
import dev.berth.engine.spec.DockerDefaults;
import dev.berth.engine.spec.HostConfigSecurity;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Real kernel (root): busybox containers run by {@code bin/berth-runc} under the configs
 * berth-engine's HostConfigSecurity produces (an IT here, not a test of berth-engine: it needs
 * berth-cli's packaging, and berth-cli depends on berth-engine). Each test uses its own state root and cgroup parent; nothing here
 * depends on what else runs on the machine.
 */
class SecurityDefaultsKernelIT {
  static final ObjectMapper M = new ObjectMapper();
  static final AtomicInteger SEQ = new AtomicInteger();
  static Path repo;
  static Path tmp;
  static Path bundle;
  static ObjectNode base;

  record Result(int exit, String out, String err) {}

  @BeforeAll
  static void setUp() throws Exception {
    if (!"root".equals(System.getProperty("user.name"))) {
      throw new AssertionError("SecurityDefaultsKernelIT needs root (namespaces, mounts, cgroups); running as "
          + System.getProperty("user.name"));
    }
    if (!Files.isExecutable(Path.of("/bin/busybox"))) {
      throw new AssertionError("/bin/busybox not found: apt-get install busybox-static");
    }
    repo = Path.of("").toAbsolutePath();
    while (repo != null && !Files.isRegularFile(repo.resolve("scripts/mk-bundle.sh"))) repo = repo.getParent();
    if (repo == null) throw new AssertionError("cannot find the berth repository from " + Path.of("").toAbsolutePath());
    if (!Files.isReadable(repo.resolve("berth-cli/target/berth.conf"))) {
      throw new AssertionError("bin/berth-runc is not built (no berth-cli/target/berth.conf): "
          + "./mvnw -B -o package -pl berth-native,berth-cli -am -DskipTests");
    }
    tmp = Files.createTempDirectory("berth-sectest-");
    bundle = tmp.resolve("bundle");
    Result r = exec(List.of("sh", repo.resolve("scripts/mk-bundle.sh").toString(), bundle.toString()), 120);
    assertThat(r.exit()).as(r.err()).isZero();
    base = (ObjectNode) M.readTree(bundle.resolve("config.json").toFile());
    // what the containers helper hands over: no security settings of its own
    ObjectNode p = (ObjectNode) base.get("process");
    p.remove(List.of("capabilities", "noNewPrivileges"));
    ObjectNode linux = (ObjectNode) base.get("linux");
    linux.remove(List.of("maskedPaths", "readonlyPaths", "seccomp"));
    linux.putObject("resources");
  }

  @AfterAll
  static void tearDown() throws IOException {
    if (tmp == null) return;
    try (var w = Files.walk(tmp)) {
      w.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }

  /** Runs {@code sh -c script} in a container configured by {@code hostConfig}. */
  static Result run(String hostConfig, String script) throws Exception {
    ObjectNode oci = base.deepCopy();
    ArrayNode args = ((ObjectNode) oci.get("process")).putArray("args");
    args.add("sh").add("-c").add(script);
    HostConfigSecurity.apply(oci, M.readTree(hostConfig));
    Files.writeString(bundle.resolve("config.json"), oci.toPrettyString());
    String id = "sectest-" + ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet();
    return exec(List.of(repo.resolve("bin/berth-runc").toString(), "--root", tmp.resolve("state").toString(),
        "run", "--bundle", bundle.toString(), id), 180);
  }

  static Result exec(List<String> cmd, int timeoutSeconds) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().put("BERTH_CGROUP_PARENT", "berth-sectest-" + ProcessHandle.current().pid());
    Path out = Files.createTempFile(tmp == null ? Path.of("/tmp") : tmp, "out", ".txt");
    Path err = Files.createTempFile(tmp == null ? Path.of("/tmp") : tmp, "err", ".txt");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    Process p = pb.start();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(cmd + " did not finish in " + timeoutSeconds + " s");
    }
    Result r = new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    Files.delete(out);
    Files.delete(err);
    return r;
  }

  static String capEff(String status) {
    return status.lines().filter(l -> l.startsWith("CapEff:")).findFirst().orElseThrow().substring(7).trim();
  }

  @Test
  void defaultCapabilitiesAreDockers() throws Exception {
    Result r = run("{}", "cat /proc/self/status");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(capEff(r.out())).isEqualTo("00000000a80425fb");
    assertThat(r.out()).contains("CapBnd:\t00000000a80425fb").contains("CapInh:\t0000000000000000")
        .contains("NoNewPrivs:\t0").contains("Seccomp:\t2");
  }

  @Test
  void defaultSeccompAllowsTheUsualAndRefusesTheRest() throws Exception {
    Result r = run("{}", "echo ok; ls /; id");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).startsWith("ok\n").contains("bin").contains("uid=0(root)");

    r = run("{}", "unshare -U true; echo rc=$?");
    assertThat(r.out()).as(r.err()).contains("rc=1");
    assertThat(r.err()).contains("Operation not permitted");
    // mount(2), like unshare, is allowed only with CAP_SYS_ADMIN
    r = run("{}", "mount -t tmpfs none /mnt 2>&1; echo rc=$?");
    assertThat(r.out()).contains("rc=1").contains("permission denied");
  }

  @Test
  void unconfinedSeccompAllowsThem() throws Exception {
    // with seccomp off the kernel's own check decides: a user namespace needs no capability
    Result r = run("{\"SecurityOpt\":[\"seccomp=unconfined\"]}", "grep Seccomp: /proc/self/status; unshare -U true; echo rc=$?");
    assertThat(r.out()).as(r.err()).contains("Seccomp:\t0").contains("rc=0");
  }

  @Test
  void privilegedSeesEverything() throws Exception {
    Result r = run("{\"Privileged\":true}",
        "cat /proc/self/status; grep ' /sys ' /proc/mounts; test -c /dev/kmsg && echo kmsg-there; unshare -U true; echo rc=$?");
    assertThat(r.exit()).as(r.err()).isZero();
    // every capability this (root) test process has, which is what the host can give
    assertThat(capEff(r.out())).isEqualTo(String.format("%016x",
        dev.berth.sys.Capabilities.mask(CapabilityOptions.all())));
    assertThat(r.out()).contains("Seccomp:\t0").contains("sysfs /sys sysfs rw").contains("rc=0");
    if (Files.exists(Path.of("/dev/kmsg"))) assertThat(r.out()).contains("kmsg-there"); // the host's devices
  }

  @Test
  void mappedDeviceAndNoOther() throws Exception {
    Result r = run("{\"Devices\":[{\"PathOnHost\":\"/dev/zero\",\"PathInContainer\":\"/dev/myzero\",\"CgroupPermissions\":\"r\"}]}",
        "head -c 5 /dev/myzero | wc -c; test -e /dev/kmsg || echo no-kmsg; mknod /dev/mykmsg c 1 11; head -c 1 /dev/mykmsg; echo rc=$?");
    assertThat(r.out()).as(r.err()).startsWith("5\n").contains("no-kmsg").contains("rc=1");
    assertThat(r.err()).contains("Operation not permitted"); // the devices cgroup refuses what Docker's rules do not allow
  }

  /**
   * The device cgroup follows CgroupPermissions exactly ({@code linux.resources.devices}; the
   * {@code linux.devices} entry only makes the node, as in runc): read-only refuses opening for
   * writing, rw allows it. /dev/loop-control (10:237) is in none of the default rules; opening it
   * does nothing.
   */
  @Test
  void deviceCgroupPermissionsAreEnforced() throws Exception {
    Path dev = Path.of("/dev/loop-control");
    assertThat(dev).as("this test needs %s (a device outside the default rules)", dev).exists();
    String script = "exec 3</dev/myloop && echo read-ok; (exec 4>/dev/myloop) && echo write-ok; echo end";
    Result ro = run("{\"Devices\":[{\"PathOnHost\":\"/dev/loop-control\",\"PathInContainer\":\"/dev/myloop\","
        + "\"CgroupPermissions\":\"r\"}]}", script);
    assertThat(ro.out()).as(ro.err()).contains("read-ok").contains("end").doesNotContain("write-ok");
    assertThat(ro.err()).contains("Operation not permitted");
    Result rw = run("{\"Devices\":[{\"PathOnHost\":\"/dev/loop-control\",\"PathInContainer\":\"/dev/myloop\","
        + "\"CgroupPermissions\":\"rw\"}]}", script);
    assertThat(rw.out()).as(rw.err()).contains("read-ok").contains("write-ok");
  }

  @Test
  void maskedPathsAreMasked() throws Exception {
    StringBuilder script = new StringBuilder();
    int files = 0;
    for (String p : DockerDefaults.MASKED_PATHS) {
      Path host = Path.of(p);
      if (Files.isRegularFile(host)) {
        script.append("echo ").append(p).append(" $(wc -c < ").append(p).append("); ");
        files++;
      } else if (Files.isDirectory(host)) {
        script.append("echo ").append(p).append(" $(ls ").append(p).append(" | wc -l); ");
      }
    }
    assertThat(files).as("masked files on this host").isPositive();
    Result r = run("{}", script + "echo 1 > /proc/sys/kernel/domainname; echo rc=$?");
    for (String line : r.out().lines().toList()) {
      if (line.startsWith("/")) assertThat(line).as(r.err()).endsWith(" 0");
    }
    assertThat(r.out()).contains("rc=1");
    assertThat(r.err()).contains("Read-only file system");
  }

  @Test
  void ulimitIsApplied() throws Exception {
    Result r = run("{\"Ulimits\":[{\"Name\":\"nofile\",\"Soft\":321,\"Hard\":654}]}", "ulimit -n; ulimit -Hn");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("321\n654\n");
  }

  @Test
  void memoryAndPidsLimitsAreInTheCgroup() throws Exception {
    Result r = run("{\"Memory\":67108864,\"PidsLimit\":42}",
        "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids/pids.max "
            + "/sys/fs/cgroup/pids.max 2>/dev/null; true");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("67108864").contains("42");
  }

  @Test
  void capDropAllLeavesNothing() throws Exception {
    Result r = run("{\"CapDrop\":[\"ALL\"],\"CapAdd\":[\"NET_BIND_SERVICE\"],\"SecurityOpt\":[\"no-new-privileges\"],\"ReadonlyRootfs\":true}",
        "grep -E 'CapEff|NoNewPrivs' /proc/self/status; touch /x; echo rc=$?");
    assertThat(r.out()).as(r.err()).contains("CapEff:\t0000000000000400").contains("NoNewPrivs:\t1").contains("rc=1");
  }
}
