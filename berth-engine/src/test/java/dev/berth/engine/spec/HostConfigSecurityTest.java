package dev.berth.engine.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The OCI config HostConfigSecurity produces, option by option, and dockerd's errors. */
class HostConfigSecurityTest {
  static final ObjectMapper M = new ObjectMapper();
  static final ResourceOptions.Host HOST = new ResourceOptions.Host(2, "0-1", "0", true, true);

  static ObjectNode oci(int uid) throws Exception {
    return (ObjectNode) M.readTree("""
        {"ociVersion":"1.2.0","process":{"user":{"uid":%d,"gid":0},"args":["sh"],"cwd":"/"},
         "root":{"path":"rootfs"},
         "mounts":[{"destination":"/proc","type":"proc","source":"proc"},
                   {"destination":"/sys","type":"sysfs","source":"sysfs","options":["nosuid","noexec","nodev","ro"]},
                   {"destination":"/sys/fs/cgroup","type":"cgroup","source":"cgroup","options":["ro","nosuid"]}],
         "linux":{"namespaces":[{"type":"pid"},{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"}]}}
        """.formatted(uid));
  }

  static ObjectNode apply(String hostConfig) throws Exception {
    return apply(oci(0), hostConfig);
  }

  static ObjectNode apply(ObjectNode oci, String hostConfig) throws Exception {
    HostConfigSecurity.applyWithWarnings(oci, M.readTree(hostConfig), HOST);
    return oci;
  }

  static List<String> strings(JsonNode a) {
    List<String> out = new ArrayList<>();
    a.forEach(n -> out.add(n.asText()));
    return out;
  }

  static void fails(String hostConfig, String message) {
    assertThatThrownBy(() -> apply(hostConfig)).isInstanceOf(IllegalArgumentException.class).hasMessage(message);
  }

  @Test
  void defaultsAreDockers() throws Exception {
    ObjectNode o = apply("{}");
    JsonNode caps = o.at("/process/capabilities");
    assertThat(strings(caps.get("bounding"))).containsExactlyElementsOf(DockerDefaults.CAPABILITIES);
    assertThat(strings(caps.get("effective"))).containsExactlyElementsOf(DockerDefaults.CAPABILITIES);
    assertThat(strings(caps.get("permitted"))).containsExactlyElementsOf(DockerDefaults.CAPABILITIES);
    assertThat(caps.has("inheritable")).isFalse();
    assertThat(caps.has("ambient")).isFalse();
    assertThat(dev.berth.sys.Capabilities.mask(strings(caps.get("bounding")))).isEqualTo(0xa80425fbL);
    assertThat(strings(o.at("/linux/maskedPaths"))).contains("/proc/kcore", "/proc/keys", "/sys/firmware", "/proc/scsi");
    assertThat(strings(o.at("/linux/readonlyPaths")))
        .containsExactly("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger");
    assertThat(o.at("/linux/seccomp/defaultAction").asText()).isEqualTo("SCMP_ACT_ERRNO");
    assertThat(o.at("/linux/seccomp/defaultErrnoRet").asInt()).isEqualTo(1);
    assertThat(o.at("/process/noNewPrivileges").isMissingNode()).isTrue();
    assertThat(o.at("/root/readonly").asBoolean()).isFalse();
    JsonNode rules = o.at("/linux/resources/devices");
    assertThat(rules.get(0).toString()).isEqualTo("{\"allow\":false,\"access\":\"rwm\"}");
    assertThat(rules.get(rules.size() - 1).toString())
        .isEqualTo("{\"allow\":false,\"type\":\"c\",\"major\":10,\"minor\":229,\"access\":\"rwm\"}");
    assertThat(rules).hasSize(8);
    assertThat(o.at("/linux/sysctl/net.ipv4.ip_unprivileged_port_start").asText()).isEqualTo("0");
    assertThat(o.at("/linux/sysctl/net.ipv4.ping_group_range").asText()).isEqualTo("0 2147483647");
    assertThat(o.at("/process/oomScoreAdj").asInt()).isZero();
    assertThat(o.at("/process/rlimits").isMissingNode()).isTrue();
  }

  @Test
  void nonRootUserGetsOnlyTheBoundingSet() throws Exception {
    ObjectNode o = apply(oci(1000), "{}");
    assertThat(strings(o.at("/process/capabilities/bounding"))).hasSize(14);
    assertThat(o.at("/process/capabilities/effective").isMissingNode()).isTrue();
    assertThat(o.at("/process/capabilities/permitted").isMissingNode()).isTrue();
  }

  @Test
  void capAddAndDrop() throws Exception {
    ObjectNode o = apply("{\"CapAdd\":[\"sys_admin\",\"CAP_NET_ADMIN\"],\"CapDrop\":[\"chown\",\"Cap_Kill\"]}");
    List<String> b = strings(o.at("/process/capabilities/bounding"));
    assertThat(b).contains("CAP_SYS_ADMIN", "CAP_NET_ADMIN").doesNotContain("CAP_CHOWN", "CAP_KILL").hasSize(14);
    // CAP_SYS_ADMIN lets the seccomp profile allow mount, unshare, clone with namespace flags
    assertThat(o.at("/linux/seccomp/syscalls").toString()).contains("\"unshare\"");

    o = apply("{\"CapDrop\":[\"ALL\"],\"CapAdd\":[\"NET_BIND_SERVICE\"]}");
    assertThat(strings(o.at("/process/capabilities/bounding"))).containsExactly("CAP_NET_BIND_SERVICE");

    o = apply("{\"CapAdd\":[\"ALL\"],\"CapDrop\":[\"SYS_ADMIN\"]}");
    assertThat(strings(o.at("/process/capabilities/bounding"))).contains("CAP_SYS_MODULE").doesNotContain("CAP_SYS_ADMIN");
  }

  @Test
  void unknownCapabilityIsNamed() {
    fails("{\"CapAdd\":[\"SYS_WIZARD\"]}", "unknown capability: \"CAP_SYS_WIZARD\"");
    fails("{\"CapDrop\":[\"cap_nope\"]}", "unknown capability: \"CAP_NOPE\"");
  }

  @Test
  void privilegedGetsEverything() throws Exception {
    ObjectNode o = apply("{\"Privileged\":true,\"SecurityOpt\":[\"seccomp=unconfined\"]}");
    assertThat(strings(o.at("/process/capabilities/bounding"))).containsExactlyElementsOf(CapabilityOptions.all());
    assertThat(o.at("/linux/seccomp").isMissingNode()).isTrue();
    assertThat(o.at("/linux/maskedPaths").isMissingNode()).isTrue();
    assertThat(o.at("/linux/readonlyPaths").isMissingNode()).isTrue();
    assertThat(strings(o.at("/mounts/1/options"))).doesNotContain("ro");
    assertThat(strings(o.at("/mounts/2/options"))).doesNotContain("ro");
    assertThat(o.at("/linux/resources/devices").toString()).isEqualTo("[{\"allow\":true,\"access\":\"rwm\"}]");
    assertThat(o.at("/linux/devices").toString()).contains("\"/dev/null\"");
    assertThat(o.at("/linux/devices").toString()).doesNotContain("\"/dev/ptmx\"", "\"/dev/pts/");
  }

  @Test
  void explicitMaskedAndReadonlyPathsWin() throws Exception {
    ObjectNode o = apply("{\"MaskedPaths\":[],\"ReadonlyPaths\":[\"/proc/sys\"]}");
    assertThat(o.at("/linux/maskedPaths").isMissingNode()).isTrue();
    assertThat(strings(o.at("/linux/readonlyPaths"))).containsExactly("/proc/sys");
  }

  @Test
  void securityOpts() throws Exception {
    assertThat(apply("{\"SecurityOpt\":[\"seccomp=unconfined\"]}").at("/linux/seccomp").isMissingNode()).isTrue();
    assertThat(apply("{\"SecurityOpt\":[\"seccomp=builtin\"]}").at("/linux/seccomp/defaultAction").asText())
        .isEqualTo("SCMP_ACT_ERRNO");
    assertThat(apply("{\"SecurityOpt\":[\"no-new-privileges\"]}").at("/process/noNewPrivileges").asBoolean()).isTrue();
    assertThat(apply("{\"SecurityOpt\":[\"no-new-privileges:true\"]}").at("/process/noNewPrivileges").asBoolean()).isTrue();
    assertThat(apply("{\"SecurityOpt\":[\"no-new-privileges=false\"]}").at("/process/noNewPrivileges").isMissingNode()).isTrue();
    // no AppArmor or SELinux here: accepted, nothing applied (as dockerd on such a host)
    ObjectNode o = apply("{\"SecurityOpt\":[\"apparmor=docker-default\",\"label=type:svirt_t\",\"label:disable\"]}");
    assertThat(o.at("/process/apparmorProfile").isMissingNode()).isTrue();
  }

  @Test
  void badSecurityOpts() {
    fails("{\"SecurityOpt\":[\"frobnicate\"]}", "invalid --security-opt 1: \"frobnicate\"");
    fails("{\"SecurityOpt\":[\"systempaths=unconfined\"]}", "invalid --security-opt 2: \"systempaths=unconfined\"");
    fails("{\"SecurityOpt\":[\"no-new-privileges=maybe\"]}", "invalid --security-opt 2: \"no-new-privileges=maybe\"");
    assertThatThrownBy(() -> apply("{\"SecurityOpt\":[\"seccomp=/etc/profile.json\"]}"))
        .hasMessageStartingWith("Decoding seccomp profile failed: ");
  }

  @Test
  void customSeccompProfileInDockersFormat() throws Exception {
    String profile = """
        {"defaultAction":"SCMP_ACT_ALLOW","archMap":[{"architecture":"SCMP_ARCH_X86_64","subArchitectures":["SCMP_ARCH_X86"]},
          {"architecture":"SCMP_ARCH_AARCH64","subArchitectures":["SCMP_ARCH_ARM"]}],
         "syscalls":[{"name":"mkdir","action":"SCMP_ACT_ERRNO","errnoRet":13,"comment":"no dirs"},
                     {"names":["chmod"],"action":"SCMP_ACT_ERRNO","includes":{"caps":["CAP_SYS_ADMIN"]}},
                     {"names":["fchmod"],"action":"SCMP_ACT_ERRNO","excludes":{"caps":["CAP_SYS_ADMIN"]}},
                     {"names":["personality"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":8,"valueTwo":0,"op":"SCMP_CMP_EQ"}]}]}
        """;
    ObjectNode hc = M.createObjectNode();
    hc.putArray("SecurityOpt").add("seccomp=" + profile);
    ObjectNode o = oci(0);
    HostConfigSecurity.applyWithWarnings(o, hc, HOST);
    JsonNode s = o.at("/linux/seccomp");
    assertThat(s.get("defaultAction").asText()).isEqualTo("SCMP_ACT_ALLOW");
    assertThat(s.toString()).doesNotContain("\"chmod\"", "comment", "includes", "excludes", "valueTwo");
    assertThat(s.get("syscalls").get(0).toString())
        .isEqualTo("{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13}");
    assertThat(s.toString()).contains("fchmod");
    if (System.getProperty("os.arch").equals("amd64")) {
      assertThat(strings(s.get("architectures"))).containsExactly("SCMP_ARCH_X86_64", "SCMP_ARCH_X86");
    }
    assertThatThrownBy(() -> SeccompProfiles.load("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86\"],"
        + "\"archMap\":[{\"architecture\":\"SCMP_ARCH_X86_64\"}]}", List.of()))
        .hasMessageContaining("use either 'architectures' or 'archMap'");
    assertThat(SeccompProfiles.load("{}", List.of())).isNull();
  }

  @Test
  void defaultProfileFollowsTheCapabilities() throws Exception {
    JsonNode s = apply("{}").at("/linux/seccomp");
    String all = s.toString();
    assertThat(all).doesNotContain("\"mount\"", "\"unshare\"", "\"keyctl\"", "\"add_key\"", "\"ptrace\",\"kcmp\"", "\"reboot\"");
    assertThat(all).contains("\"chroot\"", "SCMP_CMP_MASKED_EQ", "2114060288", "\"clone3\"");
    if (System.getProperty("os.arch").equals("amd64")) {
      assertThat(strings(s.get("architectures"))).containsExactly("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32");
      assertThat(all).contains("\"arch_prctl\"").doesNotContain("s390_pci_mmio_read");
    }
    // without CAP_SYS_CHROOT, no chroot; with CAP_SYS_ADMIN, clone is allowed outright and clone3 not refused
    JsonNode noChroot = apply("{\"CapDrop\":[\"SYS_CHROOT\"]}").at("/linux/seccomp");
    assertThat(noChroot.toString()).doesNotContain("\"chroot\"");
    JsonNode admin = apply("{\"CapAdd\":[\"SYS_ADMIN\"]}").at("/linux/seccomp");
    assertThat(admin.toString()).doesNotContain("SCMP_CMP_MASKED_EQ").doesNotContain("\"errnoRet\":38");
  }

  @Test
  void devicesAndCgroupRules() throws Exception {
    ObjectNode o = apply("""
        {"Devices":[{"PathOnHost":"/dev/null","PathInContainer":"/dev/mynull","CgroupPermissions":"rw"}],
         "DeviceCgroupRules":["c 42:* rmw","b *:* m"]}""");
    JsonNode d = o.at("/linux/devices/0");
    assertThat(d.get("path").asText()).isEqualTo("/dev/mynull");
    assertThat(d.get("type").asText()).isEqualTo("c");
    assertThat(d.get("major").asLong()).isEqualTo(1);
    assertThat(d.get("minor").asLong()).isEqualTo(3);
    assertThat(d.get("fileMode").asInt()).isEqualTo(0666);
    String rules = o.at("/linux/resources/devices").toString();
    assertThat(rules).contains("{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rw\"}",
        "{\"allow\":true,\"type\":\"c\",\"major\":42,\"access\":\"rmw\"}", "{\"allow\":true,\"type\":\"b\",\"access\":\"m\"}");
    // PathInContainer defaults to PathOnHost, permissions to rwm
    o = apply("{\"Devices\":[{\"PathOnHost\":\"/dev/zero\"}]}");
    assertThat(o.at("/linux/devices/0/path").asText()).isEqualTo("/dev/zero");
  }

  @Test
  void badDevices() {
    fails("{\"Devices\":[{\"PathOnHost\":\"/dev/berth-no-such\",\"PathInContainer\":\"/dev/x\",\"CgroupPermissions\":\"rwm\"}]}",
        "error gathering device information while adding custom device \"/dev/berth-no-such\": no such file or directory");
    fails("{\"Devices\":[{\"PathOnHost\":\"/etc/hostname\",\"PathInContainer\":\"/dev/x\"}]}",
        "error gathering device information while adding custom device \"/etc/hostname\": not a device node");
    fails("{\"Devices\":[{\"PathOnHost\":\"/dev/null\",\"CgroupPermissions\":\"rwx\"}]}", "invalid device mode: rwx");
    fails("{\"DeviceCgroupRules\":[\"c 1:3\"]}", "invalid device cgroup rule format: 'c 1:3'");
  }

  @Test
  void ulimits() throws Exception {
    ObjectNode o = apply(oci(0), "{\"Ulimits\":[{\"Name\":\"nofile\",\"Soft\":1024,\"Hard\":2048},{\"Name\":\"core\",\"Soft\":-1,\"Hard\":-1}]}");
    assertThat(o.at("/process/rlimits").toString()).isEqualTo(
        "[{\"type\":\"RLIMIT_NOFILE\",\"hard\":2048,\"soft\":1024},"
            + "{\"type\":\"RLIMIT_CORE\",\"hard\":18446744073709551615,\"soft\":18446744073709551615}]");
    fails("{\"Ulimits\":[{\"Name\":\"bananas\",\"Soft\":1,\"Hard\":1}]}", "invalid ulimit type: bananas");
    fails("{\"Ulimits\":[{\"Name\":\"nofile\",\"Soft\":10,\"Hard\":1}]}",
        "ulimit soft limit must be less than or equal to hard limit: 10 > 1");
  }

  @Test
  void readonlyRootfsAndSysctls() throws Exception {
    ObjectNode o = apply("{\"ReadonlyRootfs\":true,\"Sysctls\":{\"net.ipv4.ip_forward\":\"1\",\"kernel.shmmax\":\"1000000\"}}");
    assertThat(o.at("/root/readonly").asBoolean()).isTrue();
    assertThat(o.at("/linux/sysctl/net.ipv4.ip_forward").asText()).isEqualTo("1");
    assertThat(o.at("/linux/sysctl/kernel.shmmax").asText()).isEqualTo("1000000");
    fails("{\"Sysctls\":{\"kernel.panic\":\"1\"}}", "sysctl 'kernel.panic=1' is not allowed");
    ObjectNode hostNet = oci(0);
    ((com.fasterxml.jackson.databind.node.ArrayNode) hostNet.at("/linux/namespaces")).remove(1);
    assertThatThrownBy(() -> apply(hostNet, "{\"Sysctls\":{\"net.ipv4.ip_forward\":\"1\"}}"))
        .hasMessage("sysctl \"net.ipv4.ip_forward\" not allowed in host network namespace");
    assertThat(apply(oci(0).deepCopy(), "{}").at("/linux/sysctl").size()).isEqualTo(2);
  }

  @Test
  void resources() throws Exception {
    ObjectNode o = apply("""
        {"Memory":67108864,"MemoryReservation":33554432,"MemorySwappiness":10,"OomKillDisable":false,
         "NanoCpus":1500000000,"CpuShares":512,"CpusetCpus":"0-1","CpusetMems":"0","PidsLimit":100,
         "BlkioWeight":300,"OomScoreAdj":-500,"KernelMemory":0}""");
    assertThat(o.at("/linux/resources/memory").toString()).isEqualTo(
        "{\"limit\":67108864,\"reservation\":33554432,\"swap\":134217728,\"swappiness\":10,\"disableOOMKiller\":false}");
    assertThat(o.at("/linux/resources/cpu").toString()).isEqualTo(
        "{\"shares\":512,\"quota\":150000,\"period\":100000,\"cpus\":\"0-1\",\"mems\":\"0\"}");
    assertThat(o.at("/linux/resources/pids/limit").asLong()).isEqualTo(100);
    assertThat(o.at("/linux/resources/blockIO/weight").asLong()).isEqualTo(300);
    assertThat(o.at("/process/oomScoreAdj").asInt()).isEqualTo(-500);

    o = apply("{\"Memory\":67108864,\"MemorySwap\":-1,\"PidsLimit\":0,\"CpuPeriod\":50000,\"CpuQuota\":25000,\"MemorySwappiness\":-1}");
    assertThat(o.at("/linux/resources/memory").toString()).isEqualTo("{\"limit\":67108864,\"swap\":-1}");
    assertThat(o.at("/linux/resources/cpu").toString()).isEqualTo("{\"period\":50000,\"quota\":25000}");
    assertThat(o.at("/linux/resources/pids/limit").asLong()).isEqualTo(-1);

    // the docker CLI's zeros and nulls: nothing set
    o = apply("{\"Memory\":0,\"MemorySwap\":0,\"NanoCpus\":0,\"CpuShares\":0,\"PidsLimit\":null,\"MemorySwappiness\":null,"
        + "\"OomKillDisable\":null,\"BlkioWeight\":0,\"BlkioWeightDevice\":[],\"Devices\":[],\"Ulimits\":null,\"CapAdd\":null}");
    assertThat(o.at("/linux/resources").toString()).doesNotContain("memory", "cpu", "pids", "blockIO");
  }

  @Test
  void resourceErrorsAreDockerds() {
    fails("{\"Memory\":1048576}", "Minimum memory limit allowed is 6MB");
    fails("{\"MemoryReservation\":1048576}", "Minimum memory reservation allowed is 6MB");
    fails("{\"Memory\":67108864,\"MemorySwap\":33554432}", "Minimum memoryswap limit should be larger than memory limit, see usage");
    fails("{\"MemorySwap\":67108864}", "You should always set the Memory limit when using Memoryswap limit, see usage");
    fails("{\"Memory\":8388608,\"MemoryReservation\":16777216}",
        "Minimum memory limit can not be less than memory reservation limit, see usage");
    fails("{\"MemorySwappiness\":101}", "Invalid value: 101, valid memory swappiness range is 0-100");
    fails("{\"NanoCpus\":1000000000,\"CpuPeriod\":100000}", "Conflicting options: Nano CPUs and CPU Period cannot both be set");
    fails("{\"NanoCpus\":1000000000,\"CpuQuota\":50000}", "Conflicting options: Nano CPUs and CPU Quota cannot both be set");
    fails("{\"NanoCpus\":3000000000}", "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available");
    fails("{\"CpuPeriod\":500}", "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");
    fails("{\"CpuQuota\":500}", "CPU cfs quota can not be less than 1ms (i.e. 1000)");
    fails("{\"CpuShares\":-1}", "shares: invalid argument");
    fails("{\"CpusetCpus\":\"0-x\"}", "Invalid value 0-x for cpuset cpus: invalid format: 0-x");
    fails("{\"CpusetCpus\":\"0,7\"}", "Requested CPUs are not available - requested 0,7, available: 0-1");
    fails("{\"CpusetMems\":\"3\"}", "Requested memory nodes are not available - requested 3, available: 0");
    fails("{\"BlkioWeight\":5}", "Range of blkio weight is from 10 to 1000");
    fails("{\"OomScoreAdj\":1001}", "Invalid value 1001, range for oom score adj is [-1000, 1000]");
    fails("{\"Memory\":\"lots\"}", "invalid HostConfig.Memory: string where an integer is expected");
  }

  @Test
  void nothingChangesOnError() throws Exception {
    ObjectNode o = oci(0);
    ObjectNode before = o.deepCopy();
    assertThatThrownBy(() -> apply(o, "{\"CapAdd\":[\"SYS_ADMIN\"],\"Memory\":1}")).isInstanceOf(IllegalArgumentException.class);
    assertThat(o).isEqualTo(before);
  }

  @Test
  void hostWithoutSwapAccountingWarns() throws Exception {
    ObjectNode o = oci(0);
    var w = HostConfigSecurity.applyWithWarnings(o, M.readTree("{\"Memory\":67108864,\"MemorySwappiness\":5}"),
        new ResourceOptions.Host(2, "0-1", "0", false, false));
    assertThat(w).hasSize(2);
    assertThat(o.at("/linux/resources/memory").toString()).isEqualTo("{\"limit\":67108864,\"swap\":-1}");
  }

  @Test
  void update() throws Exception {
    JsonNode current = M.readTree("{\"Memory\":67108864,\"MemorySwap\":134217728,\"NanoCpus\":1000000000,\"PidsLimit\":50}");
    var u = ResourceOptions.update(current, M.readTree("{\"Memory\":100663296,\"PidsLimit\":0,\"CpuShares\":256}"), HOST);
    assertThat(u.linuxResources().toString())
        .isEqualTo("{\"memory\":{\"limit\":100663296},\"cpu\":{\"shares\":256},\"pids\":{\"limit\":-1}}");
    assertThat(u.merged().get("Memory").asLong()).isEqualTo(100663296);
    assertThat(u.merged().get("PidsLimit").asLong()).isZero();
    assertThat(u.merged().get("NanoCpus").asLong()).isEqualTo(1000000000);
    var cg = ResourceOptions.toCgroups(u.linuxResources());
    assertThat(cg.memory().limit()).isEqualTo(100663296L);
    assertThat(cg.pids().limit()).isEqualTo(-1L);

    assertThatThrownBy(() -> ResourceOptions.update(current, M.readTree("{\"Memory\":268435456}"), HOST))
        .hasMessage("Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time");
    assertThatThrownBy(() -> ResourceOptions.update(current, M.readTree("{\"CpuQuota\":50000}"), HOST))
        .hasMessage("Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set");
    assertThatThrownBy(() -> ResourceOptions.update(current, M.readTree("{\"Memory\":1000}"), HOST))
        .hasMessage("Minimum memory limit allowed is 6MB");
    assertThatThrownBy(() -> ResourceOptions.update(current, M.readTree("[1]"), HOST))
        .hasMessage("the update must be a JSON object of resources");
    // update allows MemorySwap without Memory (the container has one)
    var s = ResourceOptions.update(current, M.readTree("{\"MemorySwap\":-1}"), HOST);
    assertThat(s.linuxResources().toString()).isEqualTo("{\"memory\":{\"swap\":-1}}");
  }
}
