package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Real containers through bin/berth-runc: one test per runtime-spec area. */
class ContainerFeaturesIT extends RuncTest {

  static ArrayNode namespaces(ObjectNode cfg) {
    return (ArrayNode) cfg.get("linux").get("namespaces");
  }

  static void dropNamespace(ObjectNode cfg, String type) {
    ArrayNode ns = namespaces(cfg);
    for (int i = ns.size() - 1; i >= 0; i--) if (ns.get(i).get("type").asText().equals(type)) ns.remove(i);
  }

  @Test
  void runPrintsAndPropagatesTheExitCode() throws Exception {
    Path b = runc.bundle("b", c -> {}, "sh", "-c", "echo hello from berth; exit 3");
    Runc.Result r = runc.run("run", "--bundle", b.toString(), "exit3");
    assertThat(r.out()).isEqualTo("hello from berth\n");
    assertThat(r.code()).isEqualTo(3);
    runc.assertGone("exit3");
  }

  @Test
  void killedBySignalExitsWith128PlusSigno() throws Exception {
    // Without a pid namespace: an init ignores SIGKILL sent from inside its own namespace.
    Path b = runc.bundle("b", c -> dropNamespace(c, "pid"), "sh", "-c", "kill -9 $$");
    assertThat(runc.run("run", "--bundle", b.toString(), "sig").code()).isEqualTo(137);
  }

  @Test
  void pidAndUtsNamespaces() throws Exception {
    Path b = runc.bundle("b", c -> c.put("hostname", "box1"), "sh", "-c", "echo $$; hostname; ps -o pid | wc -l");
    List<String> lines = runc.output(b, "ns").lines().toList();
    assertThat(lines.get(0)).isEqualTo("1");
    assertThat(lines.get(1)).isEqualTo("box1");
    assertThat(Integer.parseInt(lines.get(2).trim())).as("only the container's processes are visible").isLessThanOrEqualTo(4);
  }

  static java.util.Set<String> hostInterfaces() throws Exception {
    try (var s = Files.list(Path.of("/sys/class/net"))) {
      return s.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
    }
  }

  /**
   * Without a network namespace the container is in the host's (the same namespace inode, and its
   * sysfs shows the host's interfaces: every one that exists both before and after the run, whatever
   * other programs add or remove meanwhile); with one it sees only its own loopback.
   */
  @Test
  void privateMountNamespaceKeepsTheHostNetwork() throws Exception {
    String hostNet = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();
    var before = hostInterfaces();
    Path shared = runc.bundle("shared", c -> dropNamespace(c, "network"), "sh", "-c", "readlink /proc/self/ns/net; ls -1 /sys/class/net");
    List<String> seen = runc.output(shared, "hostnet").lines().toList();
    var stable = new java.util.HashSet<>(before);
    stable.retainAll(hostInterfaces());
    assertThat(seen.getFirst()).isEqualTo(hostNet);
    assertThat(seen.subList(1, seen.size())).containsAll(stable);
    Path priv = runc.bundle("priv", c -> {}, "sh", "-c", "readlink /proc/self/ns/net; ls /sys/class/net");
    List<String> own = runc.output(priv, "ownnet").lines().toList();
    assertThat(own.getFirst()).startsWith("net:[").isNotEqualTo(hostNet);
    assertThat(own.subList(1, own.size())).containsExactly("lo");
    // The container's mounts stayed in its namespace.
    assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(shared.resolve("rootfs").toString());
  }

  @Test
  void userNamespaceWithMappings() throws Exception {
    Path b = runc.bundle("b", c -> {
      namespaces(c).addObject().put("type", "user");
      ObjectNode linux = (ObjectNode) c.get("linux");
      linux.putArray("uidMappings").addObject().put("containerID", 0).put("hostID", 100000).put("size", 65536);
      linux.putArray("gidMappings").addObject().put("containerID", 0).put("hostID", 100000).put("size", 65536);
    }, "sh", "-c", "id -u; cat /proc/self/uid_map; cat /proc/self/gid_map");
    List<String> out = runc.output(b, "userns").lines().map(String::trim).toList();
    assertThat(out.get(0)).isEqualTo("0");
    assertThat(out.get(1).split("\\s+")).containsExactly("0", "100000", "65536");
    assertThat(out.get(2).split("\\s+")).containsExactly("0", "100000", "65536");
  }

  @Test
  void readonlyRootWithWritableTmpfsAndReadonlyBind() throws Exception {
    Path data = runc.tmp.resolve("data");
    Files.createDirectories(data);
    Files.writeString(data.resolve("f"), "host-data");
    Path b = runc.bundle("b", c -> {
      ArrayNode m = (ArrayNode) c.get("mounts");
      m.addObject().put("destination", "/tmp").put("type", "tmpfs").put("source", "tmpfs").putArray("options").add("size=1m");
      ObjectNode bind = m.addObject().put("destination", "/data").put("source", data.toString());
      bind.putArray("options").add("rbind").add("ro");
    }, "sh", "-c", "touch /x 2>/dev/null && echo root-writable; touch /tmp/y && echo tmp-ok; cat /data/f; echo; "
        + "echo z > /data/f 2>/dev/null || echo bind-ro");
    assertThat(runc.output(b, "ro").lines().toList()).containsExactly("tmp-ok", "host-data", "bind-ro");
    assertThat(Files.readString(data.resolve("f"))).isEqualTo("host-data");
  }

  @Test
  void maskedAndReadonlyPaths() throws Exception {
    Path b = runc.bundle("b", c -> {}, "sh", "-c",
        "wc -c < /proc/timer_list; echo 1 > /proc/sys/kernel/ns_last_pid 2>/dev/null || echo sys-ro; ls /sys/firmware | wc -l");
    assertThat(runc.output(b, "masked").lines().map(String::trim).toList()).containsExactly("0", "sys-ro", "0");
  }

  @Test
  void capabilitiesRlimitsUserCwdEnv() throws Exception {
    Path b = runc.bundle("b", c -> {
      ObjectNode p = (ObjectNode) c.get("process");
      p.putObject("user").put("uid", 65534).put("gid", 65534);
      p.put("cwd", "/tmp");
      ArrayNode inh = ((ObjectNode) p.get("capabilities")).putArray("inheritable");
      p.get("capabilities").get("bounding").forEach(inh::add);
      ((ArrayNode) p.get("env")).add("GREETING=ahoy");
      p.putArray("rlimits").addObject().put("type", "RLIMIT_NOFILE").put("hard", 777).put("soft", 555);
    }, "sh", "-c", "id -u; id -g; pwd; echo $GREETING; ulimit -n; ulimit -Hn; grep -E '^Cap(Eff|Bnd|Prm)' /proc/self/status");
    List<String> out = runc.output(b, "proc").lines().toList();
    assertThat(out.subList(0, 6)).containsExactly("65534", "65534", "/tmp", "ahoy", "555", "777");
    // CAP_AUDIT_WRITE(29), CAP_KILL(5), CAP_NET_BIND_SERVICE(10) = 0x20000420; a non-root user keeps
    // them only through the ambient set (which needs them inheritable).
    assertThat(out).contains("CapBnd:\t0000000020000420", "CapPrm:\t0000000020000420", "CapEff:\t0000000020000420");
  }

  @Test
  void seccompFilterDeniesMkdir() throws Exception {
    Path b = runc.bundle("b", c -> {
      ObjectNode s = ((ObjectNode) c.get("linux")).putObject("seccomp");
      s.put("defaultAction", "SCMP_ACT_ALLOW");
      s.putArray("architectures").add("SCMP_ARCH_X86_64");
      ObjectNode rule = s.putArray("syscalls").addObject();
      rule.putArray("names").add("mkdir").add("mkdirat");
      rule.put("action", "SCMP_ACT_ERRNO").put("errnoRet", 1);
      ((ArrayNode) c.get("mounts")).addObject().put("destination", "/tmp").put("type", "tmpfs").put("source", "tmpfs");
    }, "sh", "-c", "mkdir /tmp/d 2>&1; touch /tmp/f && echo touch-ok");
    String out = runc.output(b, "seccomp");
    assertThat(out).contains("Operation not permitted").contains("touch-ok");
    // The compiled filter is kept (root-only) and the second container uses it.
    Path cache = runc.root.resolve(".seccomp-cache");
    assertThat(Files.getPosixFilePermissions(cache)).isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    try (var files = Files.list(cache)) {
      assertThat(files.filter(f -> f.toString().endsWith(".bpf")).count()).isEqualTo(1);
    }
    assertThat(runc.output(b, "seccomp2")).contains("Operation not permitted").contains("touch-ok");
    assertThat(runc.run("list", "-q").ok().out()).doesNotContain(".seccomp-cache");
  }

  @Test
  void sysctlInAnIpcNamespace() throws Exception {
    Path b = runc.bundle("b", c -> ((ObjectNode) c.get("linux")).putObject("sysctl").put("kernel.shmmni", "1234"),
        "cat", "/proc/sys/kernel/shmmni");
    assertThat(runc.output(b, "sysctl").trim()).isEqualTo("1234");
    assertThat(Files.readString(Path.of("/proc/sys/kernel/shmmni")).trim()).isNotEqualTo("1234");
  }

  @Test
  void hooksGetTheStateOnStdin() throws Exception {
    Path pre = runc.tmp.resolve("prestart.json");
    Path post = runc.tmp.resolve("poststop.json");
    Path b = runc.bundle("b", c -> {
      ObjectNode hooks = c.putObject("hooks");
      hooks.putArray("prestart").addObject().put("path", "/bin/sh").putArray("args").add("sh").add("-c").add("cat > " + pre);
      hooks.putArray("poststop").addObject().put("path", "/bin/sh").putArray("args").add("sh").add("-c").add("cat > " + post);
    }, "true");
    runc.run("create", "--bundle", b.toString(), "hooked").ok();
    var state = Runc.JSON.readTree(Files.readString(pre));
    assertThat(state.get("id").asText()).isEqualTo("hooked");
    assertThat(state.get("status").asText()).isEqualTo("creating");
    assertThat(state.get("pid").asInt()).isEqualTo(runc.state("hooked").get("pid").asInt());
    runc.run("start", "hooked").ok();
    waitStatus("hooked", "stopped");
    runc.run("delete", "hooked").ok();
    assertThat(Runc.JSON.readTree(Files.readString(post)).get("status").asText()).isEqualTo("stopped");
    runc.assertGone("hooked");
  }

  @Test
  void lifecycleCreateStartPauseResumeExecKillDeleteReuse() throws Exception {
    Path b = runc.bundle("b", c -> {}, "sleep", "1000");
    Path pidFile = runc.tmp.resolve("pid");
    runc.run("create", "--bundle", b.toString(), "--pid-file", pidFile.toString(), "life").ok();
    var st = runc.state("life");
    assertThat(st.get("status").asText()).isEqualTo("created");
    assertThat(st.get("pid").asInt()).isEqualTo(Integer.parseInt(Files.readString(pidFile).trim()));
    assertThat(st.get("bundle").asText()).isEqualTo(b.toString());
    runc.run("start", "life").ok();
    assertThat(runc.state("life").get("status").asText()).isEqualTo("running");
    assertThat(runc.run("start", "life").code()).isNotZero();
    runc.run("pause", "life").ok();
    assertThat(runc.state("life").get("status").asText()).isEqualTo("paused");
    runc.run("resume", "life").ok();
    assertThat(runc.state("life").get("status").asText()).isEqualTo("running");
    assertThat(runc.run("exec", "life", "sh", "-c", "echo $$ in $(hostname)").ok().out()).isEqualTo("2 in berth\n");
    assertThat(runc.run("exec", "life", "sh", "-c", "exit 5").code()).isEqualTo(5);
    assertThat(runc.run("ps", "--format", "json", "life").ok().out()).contains(String.valueOf(st.get("pid").asInt()));
    assertThat(runc.run("list", "--format", "json").ok().out()).contains("\"id\":\"life\"");
    runc.run("update", "--memory", "64m", "--pids-limit", "50", "life").ok();
    var stats = Runc.JSON.readTree(runc.run("events", "--stats", "life").ok().out());
    assertThat(stats.get("type").asText()).isEqualTo("stats");
    assertThat(stats.get("data").get("memory").get("usage").get("limit").asLong()).isEqualTo(64L << 20);
    assertThat(stats.get("data").get("pids").get("current").asLong()).isGreaterThanOrEqualTo(1);
    assertThat(stats.get("data").get("pids").get("limit").asLong()).isEqualTo(50);
    assertThat(stats.get("data").get("cpu").get("usage").get("total").asLong()).isPositive();
    assertThat(Files.readString(runc.cgroup("memory", "life").resolve("memory.limit_in_bytes")).trim()).isEqualTo("67108864");
    assertThat(Files.readString(runc.cgroup("pids", "life").resolve("pids.max")).trim()).isEqualTo("50");
    Runc.Result busy = runc.run("delete", "life");
    assertThat(busy.code()).isNotZero();
    assertThat(busy.err()).contains("running");
    runc.run("kill", "life", "KILL").ok();
    waitStatus("life", "stopped");
    runc.run("delete", "life").ok();
    runc.assertGone("life");
    runc.run("create", "--bundle", b.toString(), "life").ok();
    runc.run("delete", "--force", "life").ok();
    runc.assertGone("life");
  }

  /** Limits change on the live container and the processes inside feel it at once. */
  @Test
  void liveUpdateIsFeltInside() throws Exception {
    Path b = runc.bundle("b", c -> {}, "sleep", "1000");
    runc.run("run", "-d", "--bundle", b.toString(), "grow").ok();
    String forkFive = "for i in 1 2 3 4 5; do sleep 2 & done 2>&1; wait; echo forked";
    runc.run("update", "--pids-limit", "3", "grow").ok();
    Runc.Result low = runc.run("exec", "grow", "sh", "-c", forkFive);
    assertThat(low.out() + low.err()).containsIgnoringCase("fork");
    runc.run("update", "--pids-limit", "64", "grow").ok();
    assertThat(runc.run("exec", "grow", "sh", "-c", forkFive).ok().out()).contains("forked");

    String hog = "dd if=/dev/zero of=/dev/null bs=48M count=1 2>/dev/null && echo allocated";
    runc.run("update", "--memory", "16m", "--memory-swap", "16m", "grow").ok();
    assertThat(runc.run("exec", "grow", "sh", "-c", hog).code()).as("killed under 16m").isEqualTo(137);
    runc.run("update", "--memory", "256m", "--memory-swap", "256m", "grow").ok();
    assertThat(runc.run("exec", "grow", "sh", "-c", hog).ok().out()).contains("allocated");

    // An impossible value is refused naming it, and the limits in force stay.
    Runc.Result bad = runc.run("update", "--cpuset-cpus", "7-9", "--pids-limit", "5", "grow");
    assertThat(bad.code()).isNotZero();
    assertThat(bad.err()).contains("7-9");
    assertThat(Files.readString(runc.cgroup("pids", "grow").resolve("pids.max")).trim()).isEqualTo("64");
    runc.run("delete", "--force", "grow").ok();
  }

  /** A CPU-bound loop's progress, counted inside the container, follows a live quota change. */
  @Test
  void cpuQuotaChangeIsFeltInside() throws Exception {
    Path b = runc.bundle("b", c -> {}, "sh", "-c",
        "i=0; while :; do i=$((i+1)); if [ $((i % 2000)) = 0 ]; then echo $i > /dev/shm/count; fi; done");
    runc.run("run", "-d", "--bundle", b.toString(), "spin").ok();
    try {
      runc.run("update", "--cpu-period", "100000", "--cpu-quota", "10000", "spin").ok();
      double[] slow = rates("spin");
      runc.run("update", "--cpu-quota", "60000", "spin").ok();
      double[] fast = rates("spin");
      assertThat(Files.readString(runc.cgroup("cpu", "spin").resolve("cpu.cfs_quota_us")).trim()).isEqualTo("60000");
      var cpu = Runc.JSON.readTree(runc.run("events", "--stats", "spin").ok().out()).at("/data/cpu");
      assertThat(cpu.at("/throttling/throttledPeriods").asLong()).as("throttled under 10%").isPositive();
      // The kernel's CPU time: at most the 10% quota, whatever else the host runs.
      assertThat(slow[1]).as("CPU share at a 10%% quota").isLessThan(0.13);
      // At 60% the quota no longer holds the loop back: it gets more than the 10% the old quota
      // allowed (6x on an idle host) - unless the host's other work leaves it less than that, and then
      // the quota is not what limits it: it is throttled in few of the periods.
      assertThat(fast[1] > 0.11 || fast[2] < 0.5)
          .as("at a 60%% quota: CPU share %.3f (10%%: %.3f), throttled in %.0f%% of periods (10%%: %.0f%%)",
              fast[1], slow[1], 100 * fast[2], 100 * slow[2]).isTrue();
      if (fast[1] > 0.25) { // CPU to spare: the loop inside feels it
        assertThat(fast[0] / slow[0]).as("loop iterations per second at 60%% vs 10%% quota: %.0f vs %.0f", fast[0], slow[0])
            .isGreaterThan(1.4);
      }
      runc.run("update", "--cpu-quota", "-1", "spin").ok();
      assertThat(Files.readString(runc.cgroup("cpu", "spin").resolve("cpu.cfs_quota_us")).trim()).isEqualTo("-1");
    } finally {
      runc.run("delete", "--force", "spin");
    }
  }

  /**
   * Over 1.5 s: the spin loop's iterations per second (its counter file, read through exec), the
   * share of one CPU the container used (the cgroup's usage from events --stats) and the share of
   * the CFS periods in which the quota throttled it.
   */
  private double[] rates(String id) throws Exception {
    Thread.sleep(400); // the new quota settles
    long t0 = System.nanoTime();
    long c0 = count(id);
    var s0 = Runc.JSON.readTree(runc.run("events", "--stats", id).ok().out()).at("/data/cpu");
    Thread.sleep(1500);
    long c1 = count(id);
    var s1 = Runc.JSON.readTree(runc.run("events", "--stats", id).ok().out()).at("/data/cpu");
    double secs = (System.nanoTime() - t0) / 1e9;
    long periods = s1.at("/throttling/periods").asLong() - s0.at("/throttling/periods").asLong();
    long throttled = s1.at("/throttling/throttledPeriods").asLong() - s0.at("/throttling/throttledPeriods").asLong();
    return new double[] {(c1 - c0) / secs, (s1.at("/usage/total").asLong() - s0.at("/usage/total").asLong()) / 1e9 / secs,
        periods == 0 ? 0 : (double) throttled / periods};
  }

  private long count(String id) throws Exception {
    for (int i = 0; i < 50; i++) {
      String s = runc.run("exec", id, "cat", "/dev/shm/count").out().trim();
      if (!s.isEmpty()) return Long.parseLong(s);
      Thread.sleep(100);
    }
    throw new AssertionError("the loop in " + id + " never wrote /dev/shm/count");
  }

  @Test
  void detachedRunKeepsAMonitorThatRecordsTheExitStatus() throws Exception {
    Path b = runc.bundle("b", c -> {}, "sh", "-c", "sleep 0.5; exit 7");
    long t0 = System.nanoTime();
    runc.run("run", "-d", "--bundle", b.toString(), "mon").ok();
    assertThat((System.nanoTime() - t0) / 1_000_000).as("run -d returns before the container ends").isLessThan(30_000);
    waitStatus("mon", "stopped");
    assertThat(runc.state("mon").get("exitStatus").asText()).isEqualTo("exited 7");
    runc.run("delete", "mon").ok();
  }

  void waitStatus(String id, String status) throws Exception {
    for (int i = 0; i < 100; i++) {
      if (runc.state(id).get("status").asText().equals(status)) return;
      Thread.sleep(100);
    }
    assertThat(runc.state(id).get("status").asText()).isEqualTo(status);
  }

  static String join(String... s) {
    return Arrays.stream(s).collect(Collectors.joining(" "));
  }
}
