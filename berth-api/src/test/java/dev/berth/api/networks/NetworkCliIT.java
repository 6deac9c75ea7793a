package dev.berth.api.networks;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.api.TestBerthd;
import dev.berth.api.TestBerthd.Ran;
import dev.berth.api.http.Json;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * bin/berth network (issue 11) against a berthd of the test's own (TestBerthd: own socket, bridge
 * name, --bip, address pool and nftables table), checked through the docker CLI: a network made
 * with bin/berth seen by docker, a running container connected with an alias and a static address,
 * refusals with berthd's message and exit code, prune, and nothing of it left.
 */
class NetworkCliIT {
  static TestBerthd d;
  static final String IMG = TestBerthd.IMAGE;

  @BeforeAll
  static void start() throws Exception {
    d = TestBerthd.start("netcli");
  }

  @AfterAll
  static void stop() throws Exception {
    if (d == null) return;
    for (String id : d.docker("ps", "-aq").out().split("\\s+")) if (!id.isBlank()) d.docker("rm", "-f", id);
    d.close();
  }

  /** The last /28 of this berthd's own pool (10.C.B.0/24): 10.C.B.{240..255}. */
  static String prefix() {
    String base = d.net().pool().substring("base=".length(), d.net().pool().indexOf('/'));
    return base.substring(0, base.lastIndexOf('.') + 1);
  }

  @Test
  void createConnectRmWithBerthSeenByDocker() throws Exception {
    String net = "ncli" + Long.toHexString(System.nanoTime());
    String p = prefix();
    Ran created = berth("network", "create", "--driver", "bridge", "--subnet", p + "240/28", "--gateway", p + "254",
        "--ip-range", p + "248/29", "--label", "made.by=netcli", net).ok();
    String id = created.out().strip();
    assertThat(id).hasSize(64);
    // docker sees it as berth made it
    assertThat(d.docker("network", "ls", "--format", "{{.ID}} {{.Name}} {{.Driver}}").ok().out()).contains(id.substring(0, 12) + " " + net + " bridge");
    JsonNode n = Json.MAPPER.readTree(d.docker("network", "inspect", net).ok().out()).get(0);
    assertThat(n.at("/IPAM/Config/0/Subnet").asText()).isEqualTo(p + "240/28");
    assertThat(n.at("/IPAM/Config/0/Gateway").asText()).isEqualTo(p + "254");
    assertThat(n.at("/IPAM/Config/0/IPRange").asText()).isEqualTo(p + "248/29");
    assertThat(n.at("/Labels/made.by").asText()).isEqualTo("netcli");
    assertThat(n.get("Internal").asBoolean()).isFalse();
    // berth's own ls and inspect
    Ran ls = berth("network", "ls").ok();
    assertThat(ls.out()).startsWith("NETWORK ID     NAME").containsPattern("(?m)^" + id.substring(0, 12) + " +" + net + " +bridge +local$")
        .containsPattern("(?m)^[0-9a-f]{12} +bridge +bridge +local$");
    assertThat(berth("network", "ls", "-q", "--no-trunc", "--filter", "name=" + net).ok().out()).isEqualTo(id + "\n");
    JsonNode in = Json.MAPPER.readTree(berth("network", "inspect", net).ok().out());
    assertThat(in.isArray()).isTrue();
    assertThat(in.get(0).get("Id").asText()).isEqualTo(id);

    // a running container connected with an alias and a static address
    String c = d.docker("run", "-d", IMG, "sleep", "300").ok().out().strip();
    String fixed = p + "244";
    berth("network", "connect", "--alias", "webby", "--ip", fixed, net, c).ok();
    assertThat(d.docker("exec", c, "ip", "-4", "addr", "show", "eth1").ok().out()).contains("inet " + fixed + "/28");
    JsonNode ep = Json.MAPPER.readTree(d.docker("inspect", c).ok().out()).get(0).at("/NetworkSettings/Networks/" + net);
    assertThat(ep.get("IPAddress").asText()).isEqualTo(fixed);
    assertThat(ep.get("Aliases").toString()).contains("webby");
    // refusals while connected: already connected, in use
    Ran again = berth("network", "connect", net, c);
    assertThat(again.code()).isEqualTo(1);
    assertThat(again.err()).startsWith("berth: ").contains("already exists in network " + net);
    Ran inUse = berth("network", "rm", net);
    assertThat(inUse.code()).isEqualTo(1);
    assertThat(inUse.err()).startsWith("berth: ").contains("has active endpoints");
    assertThat(d.docker("network", "ls", "-q", "--filter", "name=" + net).ok().out()).isNotBlank();

    berth("network", "disconnect", net, c).ok();
    assertThat(d.docker("exec", c, "ip", "link", "show", "eth1").code()).isNotZero();
    assertThat(berth("network", "rm", net).ok().out()).isEqualTo(net + "\n");
    assertThat(d.docker("network", "ls", "-q", "--filter", "name=" + net).ok().out()).isBlank();
    assertThat(d.docker("network", "inspect", net).err()).contains("network " + net + " not found");
    d.docker("rm", "-f", c).ok();
  }

  @Test
  void refusalsAndPrune() throws Exception {
    Ran r = berth("network", "rm", "no-such-net");
    assertThat(r.code()).isEqualTo(3);
    assertThat(r.err()).isEqualTo("berth: network no-such-net not found\n");
    r = berth("network", "inspect", "no-such-net");
    assertThat(r.code()).isEqualTo(3);
    assertThat(r.err()).contains("berth: network no-such-net not found");
    r = berth("network", "connect", "no-such-net", "no-such-container");
    assertThat(r.code()).isEqualTo(3);
    assertThat(r.err()).startsWith("berth: ").contains("no-such-net");
    r = berth("network", "create", "--subnet", "10.300.0.0/24", "bad1");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).startsWith("berth: ").contains("10.300.0.0/24");
    r = berth("network", "create", "-d", "overlay", "bad2");
    assertThat(r.code()).isEqualTo(3); // berthd's 404 for an unknown driver, as dockerd's: not found

    assertThat(r.err()).contains("plugin \"overlay\" not found");
    assertThat(d.docker("network", "ls", "--format", "{{.Name}}").ok().out()).doesNotContain("bad1").doesNotContain("bad2");
    r = berth("network", "rm", "bridge");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("bridge is a pre-defined network and cannot be removed");
    // a duplicate name: berthd's 409
    String dup = "ncdup" + Long.toHexString(System.nanoTime());
    berth("network", "create", dup).ok();
    r = berth("network", "create", dup);
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("network with name " + dup + " already exists");
    // prune removes the unused one (and says so), docker sees it gone
    r = berth("network", "prune", "-f").ok();
    assertThat(r.out()).startsWith("Deleted Networks:\n").contains(dup + "\n");
    assertThat(d.docker("network", "ls", "--format", "{{.Name}}").ok().out()).doesNotContain(dup);
    // no berthd on the socket
    Path none = d.tmp().resolve("nobody.sock");
    r = berthWith("unix://" + none, "network", "ls");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).startsWith("berth: cannot connect to berthd at " + none);
  }

  static Ran berth(String... args) throws Exception {
    return berthWith("unix://" + d.socket(), args);
  }

  static Ran berthWith(String host, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(TestBerthd.REPO.resolve("bin/berth").toString()));
    cmd.addAll(List.of(args));
    return TestBerthd.run(cmd, java.util.Map.of("BERTHD_HOST", host), d.tmp(), null);
  }
}
