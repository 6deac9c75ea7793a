package dev.berth.engine.containers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OciSpecTest {
  @TempDir Path tmp;

  static ObjectNode json(String s) throws Exception {
    return (ObjectNode) Container.M.readTree(s);
  }

  @Test
  void imageConfigMergedAsDockerdDoes() throws Exception {
    JsonNode image = json("{\"Cmd\":[\"sh\"],\"Entrypoint\":[\"/init\"],\"Env\":[\"PATH=/bin\",\"A=image\"],\"WorkingDir\":\"/srv\","
        + "\"User\":\"nobody\",\"Labels\":{\"l\":\"image\",\"m\":\"image\"},\"StopSignal\":\"SIGQUIT\"}");
    ObjectNode c = json("{\"Cmd\":null,\"Env\":[\"A=user\"],\"Labels\":{\"l\":\"user\"}}");
    OciSpec.mergeImageConfig(c, image);
    assertThat(OciSpec.command(c)).containsExactly("/init", "sh");
    assertThat(c.get("Env").toString()).isEqualTo("[\"PATH=/bin\",\"A=user\"]");
    assertThat(c.path("WorkingDir").asText()).isEqualTo("/srv");
    assertThat(c.path("User").asText()).isEqualTo("nobody");
    assertThat(c.path("StopSignal").asText()).isEqualTo("SIGQUIT");
    assertThat(c.get("Labels").toString()).isEqualTo("{\"l\":\"user\",\"m\":\"image\"}");

    // a Cmd given keeps the image's Entrypoint; an Entrypoint given drops the image's Cmd
    ObjectNode withCmd = json("{\"Cmd\":[\"echo\",\"hi\"]}");
    OciSpec.mergeImageConfig(withCmd, image);
    assertThat(OciSpec.command(withCmd)).containsExactly("/init", "echo", "hi");
    ObjectNode withEntry = json("{\"Entrypoint\":[\"cat\"]}");
    OciSpec.mergeImageConfig(withEntry, image);
    assertThat(OciSpec.command(withEntry)).containsExactly("cat");
    // --entrypoint "" (an empty list) runs the image's Cmd alone
    ObjectNode emptyEntry = json("{\"Entrypoint\":[]}");
    OciSpec.mergeImageConfig(emptyEntry, image);
    assertThat(OciSpec.command(emptyEntry)).containsExactly("sh");
  }

  @Test
  void bindsAndMountsParsedAndRefused() {
    var b = OciSpec.parseBind("/host/dir:/ctr:ro");
    assertThat(b.type()).isEqualTo("bind");
    assertThat(b.readOnly()).isTrue();
    assertThat(OciSpec.parseBind("data:/var/lib/data").type()).isEqualTo("volume");
    assertThatThrownBy(() -> OciSpec.parseBind("relative")).hasMessage("invalid volume specification: 'relative'");
    assertThatThrownBy(() -> OciSpec.parseBind("/a:rel")).hasMessageContaining("mount path must be absolute");
    assertThatThrownBy(() -> OciSpec.parseBind("/a:/b:bogus")).hasMessage("invalid mode: bogus");
    assertThatThrownBy(() -> OciSpec.volumeDir(tmp, "../x")).hasMessageContaining("includes invalid characters");
    assertThatThrownBy(() -> OciSpec.parseMount(Container.M.createObjectNode().put("Type", "nfs").put("Target", "/x")))
        .hasMessage("mount type unknown: \"nfs\"");
  }

  @Test
  void tmpfsOptionsAreDockers() {
    assertThat(OciSpec.tmpfs("/t", "size=1m,exec").get("options").toString()).isEqualTo("[\"nosuid\",\"nodev\",\"size=1m\"]");
  }

  @Test
  void ociConfigOfAContainer() throws Exception {
    Path rootfs = tmp.resolve("rootfs");
    Files.createDirectories(rootfs.resolve("etc"));
    Files.writeString(rootfs.resolve("etc/passwd"), "root:x:0:0::/root:/bin/sh\nweb:x:33:33::/srv:/bin/sh\n");
    Files.writeString(rootfs.resolve("etc/group"), "root:x:0:\nweb:x:33:\nextra:x:50:web\n");
    Path host = tmp.resolve("host");
    Files.createDirectories(host);
    Container c = new Container("a".repeat(64), "/t", "2026-01-01T00:00:00Z", tmp);
    c.config = json("{\"Cmd\":[\"echo\",\"hi\"],\"Env\":[\"A=1\"],\"User\":\"web\",\"WorkingDir\":\"/work/dir\",\"Tty\":true}");
    c.hostConfig = json("{\"NetworkMode\":\"none\",\"Binds\":[\"" + host + ":/data:ro\",\"vol1:/v\"],\"Tmpfs\":{\"/run\":\"\"},"
        + "\"ShmSize\":1048576,\"PidMode\":\"host\"}");
    ObjectNode spec = OciSpec.build(c, new OciSpec.Paths(rootfs, tmp.resolve("hosts"), tmp.resolve("hostname"),
        tmp.resolve("resolv.conf"), tmp.resolve("volumes")));
    JsonNode p = spec.get("process");
    assertThat(p.get("args").toString()).isEqualTo("[\"echo\",\"hi\"]");
    assertThat(p.path("terminal").asBoolean()).isTrue();
    assertThat(p.path("user").path("uid").asLong()).isEqualTo(33);
    assertThat(p.path("user").path("additionalGids").toString()).isEqualTo("[50]");
    assertThat(p.path("cwd").asText()).isEqualTo("/work/dir");
    assertThat(rootfs.resolve("work/dir")).isDirectory();
    List<String> env = new ArrayList<>();
    p.get("env").forEach(e -> env.add(e.asText()));
    assertThat(env).contains("A=1", "HOSTNAME=aaaaaaaaaaaa", "TERM=xterm").anyMatch(e -> e.startsWith("PATH="));
    assertThat(spec.path("hostname").asText()).isEqualTo("aaaaaaaaaaaa");
    List<String> dests = new ArrayList<>();
    spec.get("mounts").forEach(m -> dests.add(m.path("destination").asText()));
    assertThat(dests).contains("/proc", "/dev", "/dev/shm", "/sys", "/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/data", "/v", "/run");
    String mounts = spec.get("mounts").toString();
    assertThat(mounts).contains("size=1048576").contains("\"source\":\"" + host + "\"").contains("\"ro\"");
    assertThat(tmp.resolve("volumes/vol1/_data")).isDirectory();
    List<String> ns = new ArrayList<>();
    spec.path("linux").path("namespaces").forEach(n -> ns.add(n.path("type").asText()));
    assertThat(ns).containsExactlyInAnyOrder("network", "ipc", "uts", "mount"); // PidMode host: no pid namespace
    assertThat(spec.path("process").path("capabilities").path("bounding").size()).isEqualTo(14); // HostConfigSecurity ran

    c.config = json("{\"Cmd\":[\"x\"],\"User\":\"nosuchuser\"}");
    assertThatThrownBy(() -> OciSpec.build(c, new OciSpec.Paths(rootfs, tmp.resolve("hosts"), tmp.resolve("hostname"),
        tmp.resolve("resolv.conf"), tmp.resolve("volumes")))).hasMessageContaining("unable to find user nosuchuser");
  }

  @Test
  void etcFiles() throws Exception {
    JsonNode hc = json("{\"ExtraHosts\":[\"db:10.0.0.2\"],\"Dns\":[\"1.1.1.1\"],\"DnsSearch\":[\"example.org\"]}");
    assertThat(OciSpec.hosts("h", hc)).startsWith("127.0.0.1\tlocalhost\n").endsWith("10.0.0.2\tdb\n");
    assertThat(OciSpec.resolvConf(hc)).isEqualTo("nameserver 1.1.1.1\nsearch example.org\n");
    assertThatThrownBy(() -> OciSpec.hosts("h", json("{\"ExtraHosts\":[\"bad\"]}"))).hasMessage("invalid extra host: bad");
  }
}
