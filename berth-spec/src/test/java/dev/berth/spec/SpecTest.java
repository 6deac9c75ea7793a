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
  }
}
