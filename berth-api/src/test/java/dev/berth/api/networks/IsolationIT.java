package dev.berth.api.networks;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.api.TestBerthd;
import dev.berth.api.http.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Isolation of user networks, with the real docker CLI against a berthd of the test's own: two
 * networks cannot reach each other while each reaches its own peers by name; an --internal network
 * has no way out but its peers talk; connect/disconnect of a running container change what it
 * reaches; an IPv6 user network; {@code --network container:NAME}; a second berthd on the same socket or root is refused without touching the first's
 * bridge. {@link TestBerthd#close} then checks that nothing of this berthd is left.
 */
class IsolationIT {
  static TestBerthd d;
  static final String IMG = TestBerthd.IMAGE;

  @BeforeAll
  static void start() throws Exception {
    d = TestBerthd.start("isolation");
  }

  @AfterAll
  static void stop() throws Exception {
    if (d != null) d.close();
  }

  static String unique(String p) { return p + Long.toHexString(System.nanoTime() & 0xffffffL); }

  static JsonNode inspect(String... args) throws Exception {
    return Json.MAPPER.readTree(d.docker(args).ok().out()).get(0);
  }

  static String ip(String container, String network) throws Exception {
    return inspect("inspect", container).at("/NetworkSettings/Networks/" + network + "/IPAddress").asText();
  }

  static TestBerthd.Ran ping(String from, String to) throws Exception {
    return d.docker("exec", from, "ping", "-c", "1", "-W", "3", to);
  }

  @Test
  void twoUserNetworksAreIsolatedWhileEachReachesItsOwnPeersByName() throws Exception {
    String na = unique("isa"), nb = unique("isb");
    d.docker("network", "create", na).ok();
    d.docker("network", "create", nb).ok();
    String a1 = na + "-1", a2 = na + "-2", b1 = nb + "-1";
    d.docker("run", "-d", "--name", a1, "--network", na, IMG, "sleep", "300").ok();
    d.docker("run", "-d", "--name", a2, "--network", na, IMG, "sleep", "300").ok();
    d.docker("run", "-d", "--name", b1, "--network", nb, IMG, "sleep", "300").ok();
    String ipA1 = ip(a1, na), ipB1 = ip(b1, nb);
    // peers by name, through the embedded DNS
    assertThat(ping(a2, a1).ok().out()).contains("(" + ipA1 + ")").contains("1 packets received");
    assertThat(d.docker("exec", a1, "nslookup", a2, "127.0.0.11").ok().out()).contains("Address: " + ip(a2, na));
    // TCP too: a1 serves, a2 fetches (busybox nc: Debian's busybox-static wget segfaults)
    d.docker("exec", "-d", a1, "sh", "-c", "mkdir -p /w && echo hello-" + a1 + " > /w/index.html && httpd -p 8080 -h /w").ok();
    assertThat(retry(() -> fetch(a2, a1, 8080))).contains("hello-" + a1);
    // across networks: no name, no packet, no TCP connection
    assertThat(d.docker("exec", b1, "nslookup", a1, "127.0.0.11").code()).as("a name of another network").isNotZero();
    TestBerthd.Ran across = ping(b1, ipA1);
    assertThat(across.code()).as("ping from %s to %s's address %s: %s", nb, na, ipA1, across.out()).isNotZero();
    assertThat(across.out()).contains("0 packets received");
    assertThat(ping(a1, ipB1).code()).as("the other way").isNotZero();
    assertThat(fetch(b1, ipA1, 8080).out()).doesNotContain("hello-");
    d.docker("rm", "-f", a1, a2, b1).ok();
    d.docker("network", "rm", na, nb).ok();
  }

  @Test
  void anInternalNetworkHasNoWayOutButItsPeersTalk() throws Exception {
    String ni = unique("isi");
    JsonNode n = Json.MAPPER.readTree(d.docker("network", "inspect", d.docker("network", "create", "--internal", ni).ok().out().strip())
        .ok().out()).get(0);
    assertThat(n.get("Internal").asBoolean()).isTrue();
    String i1 = ni + "-1", i2 = ni + "-2";
    d.docker("run", "-d", "--name", i1, "--network", ni, IMG, "sleep", "300").ok();
    d.docker("run", "-d", "--name", i2, "--network", ni, IMG, "sleep", "300").ok();
    assertThat(ping(i2, i1).ok().out()).contains("1 packets received");
    // no default route
    assertThat(d.docker("exec", i1, "ip", "route").ok().out()).doesNotContain("default");
    // the default bridge's gateway is outside this network: neither ping nor TCP reaches it
    String outside = d.net().bip().replace("/24", "");
    assertThat(ping(i1, outside).code()).as("ping %s from an internal network", outside).isNotZero();
    TestBerthd.Ran tcp = fetch(i1, outside, 9);
    assertThat(tcp.code()).as("TCP to %s:9 from an internal network: %s", outside, tcp.out() + tcp.err()).isNotZero();
    // nor its own gateway's other side: a host address on another interface
    String gw = n.at("/IPAM/Config/0/Gateway").asText();
    String hostAddr = hostAddress();
    if (hostAddr != null) assertThat(ping(i1, hostAddr).code()).as("ping host address %s", hostAddr).isNotZero();
    assertThat(gw).isNotEmpty();
    // a container on the default bridge cannot reach into it either
    String out = d.docker("run", "-d", IMG, "sleep", "300").ok().out().strip();
    assertThat(ping(out, ip(i1, ni)).code()).isNotZero();
    d.docker("rm", "-f", i1, i2, out).ok();
    d.docker("network", "rm", ni).ok();
  }

  @Test
  void connectAndDisconnectChangeWhatARunningContainerReaches() throws Exception {
    String na = unique("ica"), nb = unique("icb");
    d.docker("network", "create", na).ok();
    d.docker("network", "create", nb).ok();
    String c = na + "-c", b1 = nb + "-1";
    d.docker("run", "-d", "--name", c, "--network", na, IMG, "sleep", "300").ok();
    d.docker("run", "-d", "--name", b1, "--network", nb, IMG, "sleep", "300").ok();
    assertThat(ping(c, ip(b1, nb)).code()).as("before connect").isNotZero();
    d.docker("network", "connect", "--alias", "joiner", nb, c).ok();
    JsonNode eps = inspect("inspect", c).at("/NetworkSettings/Networks");
    assertThat(eps.has(na) && eps.has(nb)).as("both networks in inspect: %s", eps).isTrue();
    assertThat(d.docker("exec", c, "ip", "-4", "-o", "addr").ok().out()).contains("eth1");
    assertThat(ping(c, b1).ok().out()).contains("1 packets received");
    assertThat(ping(b1, "joiner").ok().out()).contains("(" + ip(c, nb) + ")").contains("1 packets received");
    assertThat(d.docker("network", "connect", nb, c).err()).contains("already exists in network " + nb);
    String vethsBefore = String.join(",", d.leftovers().veths());
    d.docker("network", "disconnect", nb, c).ok();
    assertThat(inspect("inspect", c).at("/NetworkSettings/Networks").has(nb)).isFalse();
    assertThat(d.docker("exec", c, "ip", "-o", "link").ok().out()).doesNotContain("eth1");
    assertThat(ping(b1, "joiner").code()).as("the alias is gone with the endpoint").isNotZero();
    assertThat(ping(c, ip(b1, nb)).code()).as("after disconnect").isNotZero();
    assertThat(inspect("network", "inspect", nb).get("Containers").has(inspect("inspect", c).get("Id").asText())).isFalse();
    assertThat(d.docker("network", "disconnect", nb, c).code()).isNotZero();
    // the endpoint's host veth went with it
    String bridgeB = "br-" + inspect("network", "inspect", nb).get("Id").asText().substring(0, 12);
    assertThat(Files.list(Path.of("/sys/class/net", bridgeB, "brif")).map(p -> p.getFileName().toString()).toList())
        .as("veths on %s after disconnect (before: %s)", bridgeB, vethsBefore).hasSize(1);
    d.docker("rm", "-f", c, b1).ok();
    d.docker("network", "rm", na, nb).ok();
  }

  @Test
  void anIpv6UserNetworkGivesBothFamiliesAndPeersTalkByName() throws Exception {
    String n6 = unique("is6");
    String prefix = String.format("fd%02x:%x:%x:1::", java.util.concurrent.ThreadLocalRandom.current().nextInt(256),
        java.util.concurrent.ThreadLocalRandom.current().nextInt(0x10000), ProcessHandle.current().pid() & 0xffff);
    d.docker("network", "create", "--ipv6", "--subnet", prefix + "/64", n6).ok();
    JsonNode n = inspect("network", "inspect", n6);
    assertThat(n.get("EnableIPv6").asBoolean()).isTrue();
    String c1 = n6 + "-1", c2 = n6 + "-2";
    d.docker("run", "-d", "--name", c1, "--network", n6, IMG, "sleep", "300").ok();
    d.docker("run", "-d", "--name", c2, "--network", n6, IMG, "sleep", "300").ok();
    String v6 = inspect("inspect", c1).at("/NetworkSettings/Networks/" + n6 + "/GlobalIPv6Address").asText();
    assertThat(v6).startsWith(prefix);
    assertThat(d.docker("exec", c1, "ip", "-6", "addr", "show", "eth0").ok().out()).contains(v6 + "/64");
    assertThat(d.docker("exec", c2, "nslookup", "-type=AAAA", c1, "127.0.0.11").ok().out()).contains(v6);
    TestBerthd.Ran p6 = null;
    for (int i = 0; i < 10; i++) { // duplicate address detection holds a fresh address for a moment
      p6 = d.docker("exec", c2, "ping", "-6", "-c", "1", "-W", "3", v6);
      if (p6.code() == 0) break;
      Thread.sleep(500);
    }
    assertThat(p6.code()).as("ping -6 %s: %s", v6, p6.out() + p6.err()).isZero();
    d.docker("rm", "-f", c1, c2).ok();
    d.docker("network", "rm", n6).ok();
  }

  @Test
  void containerModeSharesTheOtherContainersNamespace() throws Exception {
    String nn = unique("isc");
    d.docker("network", "create", nn).ok();
    String a = nn + "-a";
    String aId = d.docker("run", "-d", "--name", a, "--network", nn, IMG, "sleep", "300").ok().out().strip();
    String ipA = ip(a, nn);
    String b = d.docker("run", "-d", "--network", "container:" + a, IMG, "sleep", "300").ok().out().strip();
    // the same interfaces and address, the same hostname and name resolution
    assertThat(d.docker("exec", b, "ip", "-4", "-o", "addr", "show", "eth0").ok().out()).contains("inet " + ipA + "/");
    assertThat(d.docker("exec", b, "hostname").ok().out().strip()).isEqualTo(aId.substring(0, 12));
    assertThat(d.docker("exec", b, "cat", "/etc/resolv.conf").ok().out()).contains("nameserver 127.0.0.11");
    assertThat(inspect("inspect", b).at("/HostConfig/NetworkMode").asText()).isEqualTo("container:" + a);
    // a server on b's loopback is a's loopback
    d.docker("exec", "-d", b, "sh", "-c", "mkdir -p /w && echo from-b > /w/index.html && httpd -p 127.0.0.1:8081 -h /w").ok();
    assertThat(retry(() -> fetch(a, "127.0.0.1", 8081))).contains("from-b");
    // refused: an unknown container; a stopped one at start
    TestBerthd.Ran unknown = d.docker("run", "--rm", "--network", "container:no-such-" + nn, IMG, "true");
    assertThat(unknown.code()).isNotZero();
    assertThat(unknown.err()).contains("No such container: no-such-" + nn);
    d.docker("stop", "-t", "1", a).ok();
    TestBerthd.Ran stopped = d.docker("run", "--rm", "--network", "container:" + a, IMG, "true");
    assertThat(stopped.code()).isNotZero();
    assertThat(stopped.err()).contains("cannot join network namespace of a non running container: " + aId);
    d.docker("rm", "-f", a, b).ok();
    d.docker("network", "rm", nn).ok();
  }

  @Test
  void aSecondBerthdOnTheSameSocketOrRootIsRefusedAndLeavesTheFirstAlone() throws Exception {
    String br = d.net().bridge();
    String id = d.docker("run", "-d", IMG, "sleep", "300").ok().out().strip();
    String ipBefore = inspect("inspect", id).at("/NetworkSettings/IPAddress").asText();
    String rulesBefore = sh("nft", "list", "table", "inet", d.net().nftTable());
    TestBerthd.Net other = TestBerthd.Net.pick();
    // same socket, another root; then same root, another socket: both with other network names
    for (List<String> where : List.of(
        List.of("-H", "unix://" + d.socket(), "--root", d.tmp().resolve("root2").toString(), "--exec-root", d.tmp().resolve("run2").toString()),
        List.of("-H", "unix://" + d.tmp().resolve("other.sock"), "--root", d.tmp().resolve("lib").toString(), "--exec-root",
            d.tmp().resolve("run").toString()))) {
      List<String> cmd = new ArrayList<>(List.of(TestBerthd.REPO.resolve("bin/berthd").toString()));
      cmd.addAll(where);
      // the first's bridge, bip and table: a berthd that got as far as the network would disturb them
      cmd.addAll(List.of("--bridge", br, "--bip", d.net().bip(), "--nft-table", d.net().nftTable()));
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as("second berthd %s: %s", where, out).isEqualTo(1);
      assertThat(out).contains("another berthd is running on");
    }
    assertThat(Files.exists(d.tmp().resolve("other.sock"))).isFalse();
    assertThat(Files.isDirectory(Path.of("/sys/class/net", br, "brif"))).as("the first's bridge").isTrue();
    assertThat(sh("nft", "list", "table", "inet", d.net().nftTable())).isEqualTo(rulesBefore);
    assertThat(d.docker("exec", id, "ping", "-c", "1", "-W", "3", d.net().bip().replace("/24", "")).ok().out()).contains("1 packets received");
    assertThat(inspect("inspect", id).at("/NetworkSettings/IPAddress").asText()).isEqualTo(ipBefore);
    assertThat(other.bridge()).isNotEqualTo(br);
    d.docker("rm", "-f", id).ok();
  }

  /** GET /index.html of {@code host:port} from inside {@code from}, with busybox nc (3 s timeout). */
  static TestBerthd.Ran fetch(String from, String host, int port) throws Exception {
    return d.docker("exec", from, "sh", "-c", "printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc -w 3 " + host + " " + port);
  }

  interface Attempt {
    TestBerthd.Ran run() throws Exception;
  }

  /** The output of the first success within ~20 s (a server started with exec -d needs a moment). */
  static String retry(Attempt a) throws Exception {
    TestBerthd.Ran last = null;
    for (int i = 0; i < 40; i++) {
      last = a.run();
      if (last.code() == 0) return last.out();
      Thread.sleep(500);
    }
    return last.ok().out();
  }

  /** A global IPv4 address of the host outside this berthd's networks, or null. */
  static String hostAddress() throws Exception {
    for (String line : sh("ip", "-4", "-o", "addr", "show", "scope", "global").split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length < 4 || f[1].startsWith("bt") || f[1].startsWith("br-") || f[1].startsWith("veth")) continue;
      return f[3].substring(0, f[3].indexOf('/'));
    }
    return null;
  }

  static String sh(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    p.waitFor(60, TimeUnit.SECONDS);
    return out;
  }
}
