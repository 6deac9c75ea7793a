package dev.berth.api.networks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.TestBerthd;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Per-container network options through the real docker CLI against a berthd of the test's own
 * (TestBerthd): --dns, --dns-search, --dns-option, --add-host and --hostname in the files the
 * container sees, on the default bridge (the servers given) and on a user network (the embedded
 * server 127.0.0.11, the given ones as its upstreams); a network's MTU
 * (com.docker.network.driver.mtu) on the bridge, both veth ends and inspect; a bad MTU refused.
 */
class NetworkOptionsIT {
  static TestBerthd d;
  static final String IMG = TestBerthd.IMAGE;

  @BeforeAll
  static void start() throws Exception {
    d = TestBerthd.start("netopts");
  }

  @AfterAll
  static void stop() throws Exception {
    if (d != null) d.close();
  }

  static final String[] OPTS = {"--dns", "192.0.2.53", "--dns-search", "example.org", "--dns-option", "ndots:2", "--add-host",
      "db:192.0.2.7", "--hostname", "myhost"};

  static String show(String network) throws Exception {
    java.util.List<String> a = new java.util.ArrayList<>(java.util.List.of("run", "--rm", "--network", network));
    a.addAll(java.util.List.of(OPTS));
    a.addAll(java.util.List.of(IMG, "sh", "-c", "cat /etc/resolv.conf; echo ---; cat /etc/hosts; echo ---; hostname; cat /etc/hostname; "
        + "ip -4 -o addr show eth0"));
    return d.docker(a.toArray(String[]::new)).ok().out();
  }

  @Test
  void dnsHostsAndHostnameOnTheDefaultBridgeAndAUserNetwork() throws Exception {
    String[] bridge = show("bridge").split("---\n");
    assertThat(bridge[0].lines().filter(l -> !l.startsWith("#")).toList())
        .containsExactly("nameserver 192.0.2.53", "search example.org", "options ndots:2");
    String ip = bridge[2].replaceAll("(?s).*inet ([0-9.]+)/.*", "$1");
    assertThat(ip).startsWith(d.net().bip().substring(0, d.net().bip().lastIndexOf('.') + 1));
    assertThat(bridge[1].lines().toList()).contains("127.0.0.1\tlocalhost", "192.0.2.7\tdb", ip + "\tmyhost");
    assertThat(bridge[2].lines().limit(2).toList()).containsExactly("myhost", "myhost");

    String net = "nop" + Long.toHexString(System.nanoTime());
    d.docker("network", "create", net).ok();
    String[] user = show(net).split("---\n");
    // as dockerd: the embedded server, the given servers its upstreams (named in a comment)
    assertThat(user[0].lines().filter(l -> !l.startsWith("#") && !l.isBlank()).toList())
        .containsExactly("nameserver 127.0.0.11", "search example.org", "options ndots:2");
    assertThat(user[0]).contains("# ExtServers: [192.0.2.53]");
    String uip = user[2].replaceAll("(?s).*inet ([0-9.]+)/.*", "$1");
    assertThat(user[1].lines().toList()).contains("192.0.2.7\tdb", uip + "\tmyhost");
    d.docker("network", "rm", net).ok();
  }

  @Test
  void aNetworksMtuIsOnItsBridgeAndBothVethEnds() throws Exception {
    String net = "nmt" + Long.toHexString(System.nanoTime());
    String id = d.docker("network", "create", "-o", "com.docker.network.driver.mtu=1400", net).ok().out().strip();
    assertThat(d.docker("network", "inspect", "-f", "{{index .Options \"com.docker.network.driver.mtu\"}}", net).ok().out().strip())
        .isEqualTo("1400");
    String c = d.docker("run", "-d", "--network", net, IMG, "sleep", "300").ok().out().strip();
    assertThat(d.docker("exec", c, "cat", "/sys/class/net/eth0/mtu").ok().out().strip()).isEqualTo("1400");
    Path brif = Path.of("/sys/class/net", "br-" + id.substring(0, 12), "brif");
    try (var ports = Files.list(brif)) {
      for (Path p : ports.toList()) assertThat(Files.readString(Path.of("/sys/class/net", p.getFileName().toString(), "mtu")).strip()).isEqualTo("1400");
    }
    assertThat(Files.readString(Path.of("/sys/class/net", "br-" + id.substring(0, 12), "mtu")).strip()).isEqualTo("1400");
    d.docker("rm", "-f", c).ok();
    d.docker("network", "rm", net).ok();
    // a bad MTU: refused naming it, no network made
    TestBerthd.Ran bad = d.docker("network", "create", "-o", "com.docker.network.driver.mtu=12", net + "x");
    assertThat(bad.code()).isNotZero();
    assertThat(bad.err()).contains("12");
    assertThat(d.docker("network", "ls", "--format", "{{.Name}}").ok().out()).doesNotContain(net);
  }
}
