package dev.berth.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SpecTest {
  static final String MIN = """
      {"ociVersion":"1.2.0","root":{"path":"rootfs"},"process":{"args":["sh"],"cwd":"/"},
       "linux":{"namespaces":[{"type":"pid"},{"type":"mount"}]} %s}""";

  static Spec parse(String json) {
    return Spec.parse(json.getBytes(StandardCharsets.UTF_8));
  }

  static Spec valid(String extra) {
    return SpecValidator.validate(parse(MIN.formatted(extra)));
  }

  @Test
  void parsesTheDefaultConfig() throws Exception {
    byte[] json = Spec.class.getResourceAsStream("default-config.json").readAllBytes();
    Spec spec = SpecValidator.validate(Spec.parse(json));
    assertThat(spec.process().args()).containsExactly("sh");
    assertThat(spec.process().capabilities().bounding()).contains("CAP_KILL");
    assertThat(spec.mounts()).extracting(Spec.Mount::destination).contains("/proc", "/dev/pts", "/sys/fs/cgroup");
    assertThat(spec.linux().namespaces()).extracting(Linux.Namespace::type).contains("pid", "mount", "network");
    assertThat(spec.process().rlimits().getFirst().hard()).isEqualTo(1024);
    assertThat(spec.root().readonly()).isTrue();
  }

  @Test
  void malformedJsonNamesLineAndColumn() {
    assertThatThrownBy(() -> parse("{\"ociVersion\": \"1.2.0\",\n  \"root\": {\"path\": }"))
        .isInstanceOf(SpecException.class).hasMessageContaining("malformed JSON at line 2");
  }

  @Test
  void wrongTypeNamesThePath() {
    assertThatThrownBy(() -> parse("""
        {"ociVersion":"1.2.0","root":{"path":"r"},"process":{"args":["sh", 12]}}"""))
        .isInstanceOf(SpecException.class).hasMessage("process.args[1]: expected a string, got 12");
    assertThatThrownBy(() -> parse("""
        {"ociVersion":"1.2.0","process":{"args":["sh"],"rlimits":[{"type":"RLIMIT_NOFILE","hard":"x","soft":1}]}}"""))
        .hasMessage("process.rlimits[0].hard: expected an integer, got \"x\"");
  }

  @Test
  void unsignedSixtyFourBitValuesKeepTheirBits() {
    Spec s = parse("""
        {"ociVersion":"1.2.0","process":{"args":["sh"],"rlimits":[{"type":"RLIMIT_CORE","hard":18446744073709551615,"soft":0}]}}""");
    assertThat(Long.toUnsignedString(s.process().rlimits().getFirst().hard())).isEqualTo("18446744073709551615");
  }

  @Test
  void rejectsUnknownAndDuplicateNamespaces() {
    assertThatThrownBy(() -> SpecValidator.validate(parse(MIN.formatted("").replace("\"mount\"", "\"bogus\""))))
        .hasMessage("linux.namespaces[1].type: unknown namespace type \"bogus\"");
    assertThatThrownBy(() -> SpecValidator.validate(parse(MIN.formatted("").replace("\"mount\"", "\"pid\""))))
        .hasMessageContaining("duplicate namespace \"pid\"");
  }

  @Test
  void mappingsNeedAUserNamespace() {
    String json = MIN.formatted("").replace("\"namespaces\"",
        "\"uidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":1}],\"namespaces\"");
    assertThatThrownBy(() -> SpecValidator.validate(parse(json)))
        .hasMessage("linux.uidMappings: id mappings given without a user namespace");
  }

  @Test
  void rejectsEscapingMountDestinations() {
    assertThatThrownBy(() -> SpecValidator.validate(parse(MIN.formatted(
        ",\"mounts\":[{\"destination\":\"/../../etc\",\"type\":\"tmpfs\",\"source\":\"tmpfs\"}]"))))
        .hasMessage("mounts[0].destination: escapes the container root: \"/../../etc\"");
    assertThat(SpecValidator.cleanDestination("/a/./b//c/../d", "x")).isEqualTo("/a/b/d");
    // runtime-spec 1.2: a relative destination MUST be interpreted as relative to "/"
    assertThat(SpecValidator.cleanDestination("data/x", "x")).isEqualTo("/data/x");
    assertThatThrownBy(() -> SpecValidator.cleanDestination("../etc", "x")).hasMessage("x: escapes the container root: \"../etc\"");
    assertThatThrownBy(() -> SpecValidator.validate(parse(MIN.formatted(
        ",\"mounts\":[{\"destination\":\"/d\",\"type\":\"bind\",\"source\":\"/tmp\",\"options\":[\"rbind\",\"idmap\"]}]"))))
        .hasMessage("mounts[0].options: \"idmap\": id-mapped mounts are not supported");
  }

  @Test
  void hostnameNeedsUtsAndNetSysctlNeedsNetns() {
    assertThatThrownBy(() -> SpecValidator.validate(parse(MIN.formatted(",\"hostname\":\"h\""))))
        .hasMessage("hostname: cannot set hostname without a private uts namespace");
    String sysctl = MIN.formatted("").replace("\"namespaces\"", "\"sysctl\":{\"net.ipv4.ip_forward\":\"1\"},\"namespaces\"");
    assertThatThrownBy(() -> SpecValidator.validate(parse(sysctl)))
        .hasMessageContaining("linux.sysctl.net.ipv4.ip_forward: needs a network namespace");
    String host = MIN.formatted("").replace("\"namespaces\"", "\"sysctl\":{\"vm.swappiness\":\"1\"},\"namespaces\"");
    assertThatThrownBy(() -> SpecValidator.validate(parse(host))).hasMessageContaining("not namespaced");
  }

  @Test
  void processChecks() {
    assertThatThrownBy(() -> SpecValidator.validate(parse(MIN.formatted("").replace("[\"sh\"]", "[]"))))
        .hasMessage("process.args: must name the program to run");
    assertThatThrownBy(() -> SpecValidator.validate(parse(MIN.formatted("").replace("\"cwd\":\"/\"", "\"cwd\":\"rel\""))))
        .hasMessage("process.cwd: must be absolute: \"rel\"");
    assertThatThrownBy(() -> SpecValidator.validate(parse(MIN.formatted("").replace("\"cwd\":\"/\"",
        "\"cwd\":\"/\",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":10,\"soft\":20}]"))))
        .hasMessageContaining("soft limit 20 is above hard limit 10");
    // runtime-spec: duplicated rlimit types MUST be an error
    assertThatThrownBy(() -> SpecValidator.validate(parse(MIN.formatted("").replace("\"cwd\":\"/\"",
        "\"cwd\":\"/\",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":10,\"soft\":10},"
            + "{\"type\":\"RLIMIT_NOFILE\",\"hard\":20,\"soft\":20}]"))))
        .hasMessage("process.rlimits[1].type: duplicate rlimit \"RLIMIT_NOFILE\"");
    // runtime-spec: unsupported values MUST be an error (not silently ignored)
    assertThatThrownBy(() -> parse(MIN.formatted("").replace("\"cwd\":\"/\"",
        "\"cwd\":\"/\",\"ioPriority\":{\"class\":\"IOPRIO_CLASS_IDLE\",\"priority\":4}")))
        .hasMessage("process.ioPriority: not supported by berth (refused rather than ignored)");
    assertThatThrownBy(() -> parse(MIN.formatted("").replace("\"namespaces\"", "\"intelRdt\":{\"closID\":\"x\"},\"namespaces\"")))
        .hasMessage("linux.intelRdt: not supported by berth (refused rather than ignored)");
    // runtime-spec: a hook's path MUST be absolute
    assertThatThrownBy(() -> SpecValidator.validate(parse(MIN.formatted(",\"hooks\":{\"poststart\":[{\"path\":\"true\"}]}"))))
        .hasMessage("hooks.poststart[0].path: must be absolute: \"true\"");
  }

  static String user(String user) {
    return MIN.formatted("").replace("\"cwd\":\"/\"", "\"cwd\":\"/\",\"user\":" + user);
  }

  static String userns(String uidMappings) {
    return MIN.formatted("").replace("{\"type\":\"mount\"}", "{\"type\":\"mount\"},{\"type\":\"user\"}")
        .replace("\"namespaces\"", "\"uidMappings\":" + uidMappings
            + ",\"gidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}],\"namespaces\"");
  }

  /** Issue 9: 2^32 was cut to uid 0 (root), 2^32+1 to uid 1, 2^32-1 became 0 as well; runc refuses all three. */
  @Test
  void userIdsOutsideThe32BitRangeAreRefused() {
    for (String bad : new String[] {"4294967296", "4294967297", "4294967295", "18446744073709551615"}) {
      assertThatThrownBy(() -> SpecValidator.validate(parse(user("{\"uid\":" + bad + ",\"gid\":0}"))))
          .isInstanceOf(SpecException.class).hasMessage("process.user.uid: id out of range: " + bad + " (0..4294967294)");
      assertThatThrownBy(() -> SpecValidator.validate(parse(user("{\"uid\":0,\"gid\":" + bad + "}"))))
          .hasMessage("process.user.gid: id out of range: " + bad + " (0..4294967294)");
      assertThatThrownBy(() -> SpecValidator.validate(parse(user("{\"uid\":0,\"gid\":0,\"additionalGids\":[5," + bad + "]}"))))
          .hasMessage("process.user.additionalGids[1]: id out of range: " + bad + " (0..4294967294)");
    }
    assertThatThrownBy(() -> parse(user("{\"uid\":-1,\"gid\":0}"))).hasMessage("process.user.uid: expected an unsigned integer, got -1");
    assertThatThrownBy(() -> parse(user("{\"uid\":0,\"gid\":0,\"additionalGids\":[-2]}")))
        .hasMessage("process.user.additionalGids[0]: expected an unsigned integer, got -2");
    Spec ok = SpecValidator.validate(parse(user("{\"uid\":4294967294,\"gid\":4294967294,\"additionalGids\":[4294967294]}")));
    assertThat(ok.process().user().uid()).isEqualTo(4294967294L);
    assertThatThrownBy(() -> SpecValidator.validateProcess(
        new Process(false, null, "/", java.util.List.of(), java.util.List.of("sh"), java.util.List.of(), null,
            Process.Capabilities.NONE, false, null, null, new Process.User(1L << 32, 0, null, java.util.List.of())), "process"))
        .hasMessage("process.user.uid: id out of range: 4294967296 (0..4294967294)");
  }

  @Test
  void idMappingsOutsideThe32BitRangeAreRefused() {
    SpecValidator.validate(parse(userns("[{\"containerID\":0,\"hostID\":4294901759,\"size\":65536}]")));
    SpecValidator.validate(parse(userns("[{\"containerID\":0,\"hostID\":0,\"size\":4294967295}]")));
    String[][] cases = {
        {"[{\"containerID\":4294967296,\"hostID\":0,\"size\":1}]", "linux.uidMappings[0].containerID: id out of range: 4294967296 (0..4294967294)"},
        {"[{\"containerID\":0,\"hostID\":1,\"size\":1},{\"containerID\":1,\"hostID\":4294967295,\"size\":1}]",
            "linux.uidMappings[1].hostID: id out of range: 4294967295 (0..4294967294)"},
        {"[{\"containerID\":0,\"hostID\":0,\"size\":4294967296}]", "linux.uidMappings[0].size: out of range: 4294967296 (1..4294967295)"},
        {"[{\"containerID\":0,\"hostID\":0,\"size\":18446744073709551615}]",
            "linux.uidMappings[0].size: out of range: 18446744073709551615 (1..4294967295)"},
        {"[{\"containerID\":0,\"hostID\":0,\"size\":0}]", "linux.uidMappings[0].size: must be positive"},
        {"[{\"containerID\":4294967000,\"hostID\":0,\"size\":1000}]",
            "linux.uidMappings[0]: containerID 4294967000 + size 1000 goes past the largest id 4294967294"},
        {"[{\"containerID\":0,\"hostID\":4294901760,\"size\":65536}]",
            "linux.uidMappings[0]: hostID 4294901760 + size 65536 goes past the largest id 4294967294"},
    };
    for (String[] c : cases) {
      assertThatThrownBy(() -> SpecValidator.validate(parse(userns(c[0])))).as(c[0]).isInstanceOf(SpecException.class).hasMessage(c[1]);
    }
    String dev = MIN.formatted("").replace("\"namespaces\"",
        "\"devices\":[{\"type\":\"c\",\"path\":\"/dev/x\",\"major\":1,\"minor\":3,\"uid\":4294967296}],\"namespaces\"");
    assertThatThrownBy(() -> SpecValidator.validate(parse(dev))).hasMessage("linux.devices[0].uid: id out of range: 4294967296 (0..4294967294)");
  }
}
