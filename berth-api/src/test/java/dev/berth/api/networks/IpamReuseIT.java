package dev.berth.api.networks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.TestBerthd;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Address reuse as dockerd does it, through the real docker CLI against a berthd of the test's own
 * (TestBerthd): a container gets the lowest free address of its network, an address freed by a
 * removed container is handed out again, and the allocations survive a kill -9 and restart of
 * berthd (no address handed out twice, a freed one reused afterwards).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class IpamReuseIT {
  static TestBerthd d;
  static final String IMG = TestBerthd.IMAGE;

  @BeforeAll
  static void start() throws Exception {
    d = TestBerthd.start("ipam");
  }

  @AfterAll
  static void stop() throws Exception {
    if (d != null) d.close();
  }

  static String ip(String container, String network) throws Exception {
    return d.docker("inspect", "-f", "{{(index .NetworkSettings.Networks \"" + network + "\").IPAddress}}", container).ok().out().strip();
  }

  static String run(String network) throws Exception {
    return d.docker("run", "-d", "--network", network, IMG, "sleep", "600").ok().out().strip();
  }

  @Test
  @Order(1)
  void aUserNetworkHandsOutTheLowestFreeAddressAlsoAfterARestart() throws Exception {
    // a /28 at the top of this berthd's own pool (base=10.c.b.0/24): no route of the host, no other berthd
    String base = d.net().pool().replaceAll("^base=([0-9.]+)\\.0/24,.*$", "$1");
    String net = "ipr" + Long.toHexString(System.nanoTime());
    d.docker("network", "create", "--subnet", base + ".240/28", net).ok();
    assertThat(d.docker("network", "inspect", "-f", "{{(index .IPAM.Config 0).Gateway}}", net).ok().out().strip()).isEqualTo(base + ".241");
    String a = run(net), b = run(net), c = run(net);
    assertThat(ip(a, net)).isEqualTo(base + ".242");
    assertThat(ip(b, net)).isEqualTo(base + ".243");
    assertThat(ip(c, net)).isEqualTo(base + ".244");
    // rm, run: the freed address again (dockerd would not give .245 here)
    d.docker("rm", "-f", b).ok();
    String b2 = run(net);
    assertThat(ip(b2, net)).isEqualTo(base + ".243");
    // the new one works at that address
    assertThat(d.docker("exec", a, "ping", "-c", "1", "-W", "5", base + ".243").ok().out()).contains("1 packets received");

    // kill -9 and restart: what runs keeps its address, nothing is handed out twice
    d.kill9();
    d.restart();
    assertThat(ip(a, net)).isEqualTo(base + ".242");
    String e = run(net);
    assertThat(ip(e, net)).isEqualTo(base + ".245");
    // and a freed one is reused after the restart too
    d.docker("rm", "-f", a).ok();
    String a2 = run(net);
    assertThat(ip(a2, net)).isEqualTo(base + ".242");
    assertThat(d.docker("exec", e, "ping", "-c", "1", "-W", "5", base + ".242").ok().out()).contains("1 packets received");

    // a static --ip is skipped by the next dynamic one
    d.docker("rm", "-f", c).ok();
    String s = d.docker("run", "-d", "--network", net, "--ip", base + ".244", IMG, "sleep", "600").ok().out().strip();
    assertThat(ip(s, net)).isEqualTo(base + ".244");
    assertThat(ip(run(net), net)).isEqualTo(base + ".246");
    d.docker("rm", "-f", a2, b2, e, s).ok();
    assertThat(d.docker("ps", "-aq", "--filter", "network=" + net).ok().out().strip().lines().count()).isEqualTo(1);
    d.docker("rm", "-f", d.docker("ps", "-aq", "--filter", "network=" + net).ok().out().strip()).ok();
    d.docker("network", "rm", net).ok();
  }

  @Test
  @Order(2)
  void theDefaultBridgeReusesAFreedAddress() throws Exception {
    String gw = d.net().bip().replace("/24", "");
    String x = d.docker("run", "-d", IMG, "sleep", "600").ok().out().strip();
    String ipX = ip(x, "bridge");
    assertThat(ipX).startsWith(gw.substring(0, gw.lastIndexOf('.') + 1)).isNotEqualTo(gw);
    String y = d.docker("run", "-d", IMG, "sleep", "600").ok().out().strip();
    String ipY = ip(y, "bridge");
    assertThat(ipY).isNotEqualTo(ipX);
    d.docker("rm", "-f", x).ok();
    String z = d.docker("run", "-d", IMG, "sleep", "600").ok().out().strip();
    assertThat(ip(z, "bridge")).isEqualTo(ipX);
    d.docker("rm", "-f", y, z).ok();
  }

  @Test
  @Order(3)
  void anExhaustedNetworkIsRefusedNamingItAndLeavesNothingHalfMade() throws Exception {
    String base = d.net().pool().replaceAll("^base=([0-9.]+)\\.0/24,.*$", "$1");
    String net = "ipx" + Long.toHexString(System.nanoTime());
    String netId = d.docker("network", "create", "--subnet", base + ".224/29", net).ok().out().strip();
    String bridge = "br-" + netId.substring(0, 12);
    java.util.List<String> ids = new java.util.ArrayList<>();
    for (int i = 0; i < 5; i++) ids.add(run(net)); // .226 … .230 (.225 the gateway, .231 broadcast)
    assertThat(ip(ids.get(4), net)).isEqualTo(base + ".230");
    TestBerthd.Ran full = d.docker("run", "-d", "--name", net + "-6", "--network", net, IMG, "sleep", "600");
    assertThat(full.code()).isNotZero();
    assertThat(full.err()).contains("no available IPv4 addresses on this network's address pools: " + net);
    // no endpoint made for it: still five ports on the bridge, no address held for it
    try (var ports = Files.list(Path.of("/sys/class/net", bridge, "brif"))) {
      assertThat(ports.count()).isEqualTo(5);
    }
    assertThat(d.docker("inspect", "-f", "{{.State.Running}}", net + "-6").ok().out().strip()).isEqualTo("false");
    // one freed: the sixth starts with that address
    d.docker("rm", "-f", ids.remove(2)).ok();
    d.docker("start", net + "-6").ok();
    assertThat(ip(net + "-6", net)).isEqualTo(base + ".228");
    ids.add(net + "-6");
    List<String> rm = new java.util.ArrayList<>(List.of("rm", "-f"));
    rm.addAll(ids);
    d.docker(rm.toArray(String[]::new)).ok();
    d.docker("network", "rm", net).ok();
  }
}
