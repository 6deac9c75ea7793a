package dev.berth.api.networks;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.api.TestBerthd;
import dev.berth.api.http.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bridge networking through the real docker CLI against a berthd of the test's own (its own bridge
 * name, --bip and address pool: TestBerthd): network create/ls/inspect/connect/disconnect/rm,
 * containers that ping each other and their gateway, refusals with dockerd's messages, and
 * nothing of the test left on the host afterwards.
 */
class NetworksIT {
  static TestBerthd d;
  static final String IMG = TestBerthd.IMAGE;

  @BeforeAll
  static void start() throws Exception {
    d = TestBerthd.start("networks");
  }

  @AfterAll
  static void stop() throws Exception {
    if (d == null) return;
    String ids = d.docker("ps", "-aq").out();
    for (String id : ids.split("\\s+")) if (!id.isBlank()) d.docker("rm", "-f", id);
    d.close();
  }

  static JsonNode inspect(String... args) throws Exception {
    List<String> a = new java.util.ArrayList<>(List.of(args));
    TestBerthd.Ran r = d.docker(a.toArray(String[]::new)).ok();
    return Json.MAPPER.readTree(r.out()).get(0);
  }

  static String sh(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    p.waitFor(60, TimeUnit.SECONDS);
    return out;
  }

  @Test
  void defaultBridgeGivesAnAddressAndAWayToTheGateway() throws Exception {
    String gw = d.net().bip().replace("/24", "");
    String prefix = gw.substring(0, gw.lastIndexOf('.') + 1);
    TestBerthd.Ran r = d.docker("run", "--rm", IMG, "sh", "-c", "ip -4 addr show eth0; ip route; ping -c 1 -W 5 " + gw).ok();
    assertThat(r.out()).contains("inet " + prefix).contains("default via " + gw + " dev eth0").contains("1 packets received");
    JsonNode bridge = inspect("network", "inspect", "bridge");
    assertThat(bridge.at("/IPAM/Config/0/Subnet").asText()).isEqualTo(prefix + "0/24");
    assertThat(bridge.at("/IPAM/Config/0/Gateway").asText()).isEqualTo(gw);
    assertThat(bridge.at("/Options/com.docker.network.bridge.name").asText()).isEqualTo(d.net().bridge());
    // a running container on the default bridge: inspect's deprecated top-level fields are set, no DNS names
    String id = d.docker("run", "-d", IMG, "sleep", "300").ok().out().strip();
    try {
      JsonNode c = inspect("inspect", id);
      JsonNode ns = c.get("NetworkSettings");
      assertThat(ns.get("IPAddress").asText()).startsWith(prefix);
      assertThat(ns.get("Gateway").asText()).isEqualTo(gw);
      assertThat(ns.get("IPPrefixLen").asInt()).isEqualTo(24);
      assertThat(ns.get("MacAddress").asText()).startsWith("02:42:");
      assertThat(ns.get("SandboxKey").asText()).isEqualTo(d.tmp().resolve("run/netns/" + id).toString());
      JsonNode ep = ns.at("/Networks/bridge");
      assertThat(ep.get("IPAddress").asText()).isEqualTo(ns.get("IPAddress").asText());
      assertThat(ep.get("NetworkID").asText()).isEqualTo(bridge.get("Id").asText());
      assertThat(ep.get("EndpointID").asText()).hasSize(64);
      assertThat(ep.get("DNSNames").isNull()).isTrue();
      assertThat(c.at("/HostConfig/NetworkMode").asText()).isEqualTo("bridge");
      // its /etc/hosts names its address
      assertThat(d.docker("exec", id, "cat", "/etc/hosts").ok().out()).contains(ns.get("IPAddress").asText() + "\t" + id.substring(0, 12));
      assertThat(inspect("network", "inspect", "bridge").at("/Containers/" + id + "/IPv4Address").asText())
          .isEqualTo(ns.get("IPAddress").asText() + "/24");
    } finally {
      d.docker("rm", "-f", id).ok();
    }
    assertThat(Files.exists(d.tmp().resolve("run/netns/" + id))).isFalse();
  }

  @Test
  void userNetworkLifecycleWithTheDockerCli() throws Exception {
    String net = "nit" + Long.toHexString(System.nanoTime());
    String netId = d.docker("network", "create", "--label", "k=v", net).ok().out().strip();
    assertThat(netId).hasSize(64);
    assertThat(d.docker("network", "ls", "--format", "{{.Name}} {{.Driver}}").ok().out()).contains(net + " bridge", "bridge bridge", "host host", "none null");
    assertThat(d.docker("network", "ls", "-q", "--filter", "label=k=v").ok().out().strip()).isEqualTo(netId.substring(0, 12));
    assertThat(d.docker("network", "create", net).code()).isNotZero();
    assertThat(d.docker("network", "create", net).err()).contains("network with name " + net + " already exists");
    JsonNode n = inspect("network", "inspect", net);
    String subnet = n.at("/IPAM/Config/0/Subnet").asText(), gw = n.at("/IPAM/Config/0/Gateway").asText();
    assertThat(subnet).endsWith("/28"); // from this berthd's --default-address-pool
    String bridge = "br-" + netId.substring(0, 12);
    assertThat(sh("ip", "-br", "addr", "show", bridge)).contains(gw + "/28");
    // an overlapping subnet is refused, naming both
    TestBerthd.Ran overlap = d.docker("network", "create", "--subnet", subnet.replace("/28", "/29"), net + "x");
    assertThat(overlap.code()).isNotZero();
    assertThat(overlap.err()).contains("Pool overlaps with other one on this address space").contains(subnet).contains(net);

    String a = d.docker("run", "-d", "--name", net + "-a", "--network", net, "--network-alias", "alpha", IMG, "sleep", "300").ok().out().strip();
    String b = d.docker("run", "-d", "--name", net + "-b", "--network", net, IMG, "sleep", "300").ok().out().strip();
    JsonNode epA = inspect("inspect", a).at("/NetworkSettings/Networks/" + net);
    JsonNode epB = inspect("inspect", b).at("/NetworkSettings/Networks/" + net);
    String ipA = epA.get("IPAddress").asText(), ipB = epB.get("IPAddress").asText();
    assertThat(ipA).isNotEmpty().isNotEqualTo(ipB);
    assertThat(epA.get("Gateway").asText()).isEqualTo(gw);
    assertThat(epA.get("NetworkID").asText()).isEqualTo(netId);
    assertThat(epA.get("Aliases").toString()).isEqualTo("[\"alpha\"]");
    assertThat(epA.get("DNSNames").toString()).isEqualTo("[\"" + net + "-a\",\"alpha\",\"" + a.substring(0, 12) + "\"]");
    assertThat(epA.get("MacAddress").asText()).startsWith("02:42:");
    assertThat(d.docker("exec", b, "ping", "-c", "1", "-W", "5", ipA).ok().out()).contains("1 packets received");
    assertThat(d.docker("exec", a, "ping", "-c", "1", "-W", "5", gw).ok().out()).contains("1 packets received");
    JsonNode members = inspect("network", "inspect", net).get("Containers");
    assertThat(members.get(a).get("Name").asText()).isEqualTo(net + "-a");
    assertThat(members.get(b).get("IPv4Address").asText()).isEqualTo(ipB + "/28");
    assertThat(sh("ip", "-br", "link", "show", "master", bridge).lines().count()).isEqualTo(2);

    // rm while in use: refused (403) with dockerd's message; predefined ones never
    TestBerthd.Ran inUse = d.docker("network", "rm", net);
    assertThat(inUse.code()).isNotZero();
    assertThat(inUse.err()).contains("error while removing network: network " + net + " id " + netId + " has active endpoints");
    assertThat(d.docker("network", "rm", "bridge").err()).contains("bridge is a pre-defined network and cannot be removed");

    // connect a running container to a second network with a static address, then disconnect
    String net2 = net + "2";
    d.docker("network", "create", net2).ok();
    String sub2 = inspect("network", "inspect", net2).at("/IPAM/Config/0/Subnet").asText();
    String fixed = sub2.substring(0, sub2.lastIndexOf('.') + 1) + (Integer.parseInt(sub2.substring(sub2.lastIndexOf('.') + 1, sub2.indexOf('/'))) + 9);
    d.docker("network", "connect", "--ip", fixed, "--alias", "beta", net2, a).ok();
    assertThat(d.docker("exec", a, "ip", "-4", "addr", "show", "eth1").ok().out()).contains("inet " + fixed + "/28");
    assertThat(inspect("inspect", a).at("/NetworkSettings/Networks/" + net2 + "/IPAddress").asText()).isEqualTo(fixed);
    assertThat(d.docker("network", "connect", net2, a).err()).contains("already exists in network " + net2);
    d.docker("network", "disconnect", net2, a).ok();
    assertThat(d.docker("exec", a, "ip", "link", "show", "eth1").code()).isNotZero();
    assertThat(inspect("inspect", a).at("/NetworkSettings/Networks").has(net2)).isFalse();
    d.docker("network", "rm", net2).ok();

    // a stopped container leaves its network: no endpoint, no namespace
    d.docker("stop", "-t", "1", b).ok();
    assertThat(inspect("inspect", b).at("/NetworkSettings/Networks/" + net + "/IPAddress").asText()).isEmpty();
    assertThat(Files.exists(d.tmp().resolve("run/netns/" + b))).isFalse();
    d.docker("rm", "-f", a, b).ok();
    assertThat(sh("ip", "-br", "link", "show", "master", bridge).strip()).isEmpty();
    d.docker("network", "rm", net).ok();
    assertThat(sh("ip", "link", "show", bridge)).contains("does not exist");
    try (var ds = Files.list(d.tmp().resolve("run/netns"))) {
      assertThat(ds.toList()).isEmpty();
    }
    assertThat(d.docker("network", "inspect", net).err()).contains("network " + net + " not found");
  }

  @Test
  void badRequestsNameWhatIsWrong() throws Exception {
    // (run --network nosuchnet gets the same 404 as from dockerd, which the CLI takes for a missing image and pulls)
    assertThat(d.docker("network", "inspect", "nosuchnet").err()).contains("network nosuchnet not found");
    assertThat(d.docker("network", "connect", "nosuchnet", "nosuchcontainer").err()).contains("network nosuchnet not found");
    assertThat(d.docker("run", "--rm", "--ip", "10.1.1.1", IMG, "true").err()).contains("user specified IP address is supported on user defined networks only");
    assertThat(d.docker("network", "create", "--subnet", "10.300.0.0/24", "bad1").err()).contains("10.300.0.0/24");
    assertThat(d.docker("network", "create", "-d", "overlay", "bad2").err()).contains("plugin \"overlay\" not found");
    assertThat(d.docker("network", "ls", "--format", "{{.Name}}").ok().out()).doesNotContain("bad1", "bad2");
  }

  @Test
  void containersAndNetworksSurviveABerthdRestart() throws Exception {
    String net = "nrs" + Long.toHexString(System.nanoTime());
    d.docker("network", "create", net).ok();
    String a = d.docker("run", "-d", "--network", net, IMG, "sleep", "300").ok().out().strip();
    String b = d.docker("run", "-d", "--network", net, IMG, "sleep", "300").ok().out().strip();
    String ipA = inspect("inspect", a).at("/NetworkSettings/Networks/" + net + "/IPAddress").asText();
    d.kill9();
    d.restart();
    assertThat(inspect("inspect", a).at("/NetworkSettings/Networks/" + net + "/IPAddress").asText()).isEqualTo(ipA);
    assertThat(d.docker("exec", b, "ping", "-c", "1", "-W", "5", ipA).ok().out()).contains("1 packets received");
    assertThat(d.docker("network", "rm", net).err()).contains("has active endpoints");
    // a container started after the restart gets another address
    String c = d.docker("run", "-d", "--network", net, IMG, "sleep", "300").ok().out().strip();
    assertThat(inspect("inspect", c).at("/NetworkSettings/Networks/" + net + "/IPAddress").asText()).isNotEqualTo(ipA);
    d.docker("rm", "-f", a, b, c).ok();
    d.docker("network", "rm", net).ok();
  }

  @Test
  void namesResolveOnUserNetworksOnly() throws Exception {
    String net = "ndn" + Long.toHexString(System.nanoTime());
    d.docker("network", "create", net).ok();
    String bee = net + "-bee";
    String b = d.docker("run", "-d", "--name", bee, "--network", net, "--network-alias", "honey", IMG, "sleep", "300").ok().out().strip();
    String ipB = inspect("inspect", b).at("/NetworkSettings/Networks/" + net + "/IPAddress").asText();
    String a = d.docker("run", "-d", "--network", net, IMG, "sleep", "300").ok().out().strip();
    assertThat(d.docker("exec", a, "cat", "/etc/resolv.conf").ok().out()).contains("nameserver 127.0.0.11");
    assertThat(d.docker("exec", a, "nslookup", bee, "127.0.0.11").ok().out()).contains("Address: " + ipB);
    assertThat(d.docker("exec", a, "ping", "-c", "1", "-W", "5", bee).ok().out()).contains("PING " + bee + " (" + ipB + ")").contains("1 packets received");
    assertThat(d.docker("exec", a, "ping", "-c", "1", "-W", "5", "honey").ok().out()).contains("(" + ipB + ")").contains("1 packets received");
    assertThat(d.docker("exec", a, "ping", "-c", "1", "-W", "5", "honey." + net).ok().out()).contains("(" + ipB + ")");
    assertThat(d.docker("exec", a, "ping", "-c", "1", "-W", "5", b.substring(0, 12)).ok().out()).contains("(" + ipB + ")");
    // nothing is forwarded outside: an unknown name fails at once
    assertThat(d.docker("exec", a, "nslookup", "nosuchname.invalid", "127.0.0.11").code()).isNotZero();
    // the default bridge has no embedded DNS (Docker's behaviour)
    TestBerthd.Ran legacy = d.docker("run", "--rm", IMG, "sh", "-c", "grep -c 127.0.0.11 /etc/resolv.conf; ping -c 1 -W 2 " + bee);
    assertThat(legacy.code()).isNotZero();
    assertThat(legacy.out()).startsWith("0");
    d.docker("rm", "-f", a, b).ok();
    d.docker("network", "rm", net).ok();
  }
}
