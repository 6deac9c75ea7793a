package dev.berth.network.firewall;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.network.Cidr;
import dev.berth.sys.nft.NftException;
import dev.berth.sys.nft.Nftables;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The packet rules against the real kernel, in a private "host" network namespace (NetLab):
 *
 * <pre>
 *  a1 10.231.1.2 ┐                      ┌ b1 10.231.2.2 (brB)
 *  a2 10.231.1.3 ┴ brA 10.231.1.1  H  brB 10.231.2.1
 *  i1 10.231.3.2 ─ brI 10.231.3.1  │  lo also 10.231.9.1, httpd :80
 *                                   └ veth 10.231.8.1 ── o 10.231.8.2 (no route back to 10.231/16 but its /24)
 * </pre>
 *
 * httpd everywhere answers GET /cgi-bin/ip with the address it saw the request come from.
 */
@Tag("root")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FirewallKernelTest {
    private NetLab lab;
    private Firewall fw;
    private PortAllocator ports;
    private String brA;
    private String brB;
    private String brI;
    private String a1;
    private String a2;
    private String b1;
    private String i1;
    private String out;
    private int hostPort;

    private static final List<Cidr> NET_A = List.of(Cidr.parse("10.231.1.0/24"));
    private static final List<Cidr> NET_B = List.of(Cidr.parse("10.231.2.0/24"));
    private static final List<Cidr> NET_I = List.of(Cidr.parse("10.231.3.0/24"));

    @BeforeAll
    void setUp() throws Exception {
        lab = new NetLab();
        try {
            String h = lab.host;
            brA = lab.id + "A";
            brB = lab.id + "B";
            brI = lab.id + "I";
            lab.bridge(brA, "10.231.1.1/24");
            lab.bridge(brB, "10.231.2.1/24");
            lab.bridge(brI, "10.231.3.1/24");
            lab.ip(h, "addr", "add", "10.231.9.1/32", "dev", "lo"); // a host address of no bridge
            a1 = lab.container("a1", brA, "10.231.1.2/24", "10.231.1.1");
            a2 = lab.container("a2", brA, "10.231.1.3/24", "10.231.1.1");
            b1 = lab.container("b1", brB, "10.231.2.2/24", "10.231.2.1");
            i1 = lab.container("i1", brI, "10.231.3.2/24", "10.231.3.1");
            out = lab.id + "o";
            lab.addNs(out);
            lab.ip(h, "link", "add", "out0", "type", "veth", "peer", "name", "eth0", "netns", out);
            lab.ip(h, "addr", "add", "10.231.8.1/24", "dev", "out0");
            lab.ip(h, "link", "set", "out0", "up");
            lab.ip(out, "addr", "add", "10.231.8.2/24", "dev", "eth0");
            lab.ip(out, "link", "set", "eth0", "up");
            for (String ns : List.of(a1, b1, out, h)) {
                lab.httpd(ns, 80);
            }
            lab.enter();
            fw = new Firewall("berth_t_" + lab.id);
            ports = new PortAllocator();
        } catch (Throwable t) {
            tearDown();
            throw t;
        }
    }

    @BeforeEach
    void inHost() {
        lab.enter(); // every test on the host namespace, whatever thread JUnit uses
    }

    @AfterAll
    void tearDown() {
        try {
            if (ports != null) {
                ports.close();
            }
            if (fw != null) {
                fw.destroy();
            }
        } finally {
            lab.close();
        }
        assertThat(Path.of("/run/netns", lab.host)).doesNotExist();
    }

    @Test
    @Order(1)
    void publishedPortAnswersOnLoopbackHostAddressesFromOutsideAndByHairpin() {
        fw.addNetwork(brA, NET_A, false, true, true);
        assertThat(Sysctl.read("net/ipv4/conf/" + brA + "/route_localnet")).isEqualTo("1");
        assertThat(Sysctl.read("net/ipv4/ip_forward")).isEqualTo("1");
        List<PortMapping> m = ports.allocate("cA1", PortSpec.parse("80"), Cidr.parseAddress("10.231.1.2"), null);
        hostPort = m.get(0).hostPort();
        assertThat(m).singleElement().satisfies(x -> assertThat(x.hostIpText()).isEqualTo("0.0.0.0"));
        fw.publish("cA1", m);
        fw.publish("cA1", m); // idempotent

        assertThat(NetLab.get("127.0.0.1", hostPort)).as("127.0.0.1, masqueraded to the bridge address").isEqualTo("10.231.1.1");
        assertThat(NetLab.get("10.231.9.1", hostPort)).as("a host address").isEqualTo("10.231.9.1");
        assertThat(NetLab.get("10.231.1.1", hostPort)).as("the bridge address").isEqualTo("10.231.1.1");
        assertThat(lab.wget(out, "10.231.8.1", hostPort)).as("from outside").isEqualTo("10.231.8.2");
        assertThat(lab.wget(a2, "10.231.9.1", hostPort)).as("hairpin from a2").isEqualTo("10.231.1.1");
        assertThat(lab.wget(a1, "10.231.9.1", hostPort)).as("hairpin to itself").isEqualTo("10.231.1.1");
        // The placeholder keeps the port: nobody else binds it.
        assertThatThrownBy(() -> new java.net.ServerSocket(hostPort).close()).isInstanceOf(java.io.IOException.class);
        assertThat(fw.published()).containsOnlyKeys("cA1");
    }

    @Test
    @Order(2)
    void masqueradeCarriesOutboundTrafficAndIsOffWhenAsked() {
        assertThat(lab.wget(a1, "10.231.8.2", 80)).as("outside sees the host's address").isEqualTo("10.231.8.1");
        fw.addNetwork(brA, NET_A, false, false, true);
        assertThat(lab.wget(a1, "10.231.8.2", 80)).as("no masquerade: no way back").isNull();
        fw.addNetwork(brA, NET_A, false, true, true);
        assertThat(lab.wget(a1, "10.231.8.2", 80)).isEqualTo("10.231.8.1");
    }

    @Test
    @Order(3)
    void networksAreIsolatedButPublishedPortsReachable() {
        fw.removeNetwork(brB);
        assertThat(lab.wget(b1, "10.231.1.2", 80)).as("control: routed when brB has no rules").isEqualTo("10.231.2.2");
        fw.addNetwork(brB, NET_B, false, true, true);
        assertThat(lab.wget(b1, "10.231.1.2", 80)).as("brB -> brA").isNull();
        assertThat(lab.wget(a1, "10.231.2.2", 80)).as("brA -> brB").isNull();
        assertThat(lab.wget(b1, "10.231.9.1", hostPort)).as("published port from the other network, masqueraded")
                .isEqualTo("10.231.1.1");
        assertThat(fw.networks()).containsExactlyInAnyOrder(brA, brB);
    }

    @Test
    @Order(4)
    void internalNetworkHasNoWayOut() {
        assertThat(lab.wget(i1, "10.231.9.1", 80)).as("control: reachable before").isEqualTo("10.231.3.2");
        fw.addNetwork(brI, NET_I, true, true, true);
        assertThat(lab.wget(i1, "10.231.9.1", 80)).as("host address outside the bridge").isNull();
        assertThat(lab.wget(i1, "10.231.8.2", 80)).as("outside").isNull();
        assertThat(lab.wget(i1, "10.231.1.2", 80)).as("other network").isNull();
        assertThat(lab.wget(i1, "10.231.9.1", hostPort)).as("published ports").isNull();
        assertThat(lab.wget(i1, "10.231.3.1", 80)).as("the bridge itself").isEqualTo("10.231.3.2");
        assertThat(lab.wget(a1, "10.231.3.2", 80)).as("into it").isNull();
    }

    @Test
    @Order(5)
    void iccFalseDropsTrafficBetweenContainersOfTheBridge() throws Exception {
        Path nf = Path.of("/proc/sys/net/bridge/bridge-nf-call-iptables");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(nf) && Files.readString(nf).strip().equals("1"),
                "icc=false needs br_netfilter with bridge-nf-call-iptables=1");
        assertThat(lab.wget(a2, "10.231.1.2", 80)).isEqualTo("10.231.1.3");
        fw.addNetwork(brA, NET_A, false, true, false);
        assertThat(lab.wget(a2, "10.231.1.2", 80)).isNull();
        assertThat(lab.wget(a2, "10.231.9.1", hostPort)).as("published port still").isEqualTo("10.231.1.1");
        fw.addNetwork(brA, NET_A, false, true, true);
        assertThat(lab.wget(a2, "10.231.1.2", 80)).isEqualTo("10.231.1.3");
    }

    @Test
    @Order(6)
    void clashingPublishIsRefusedAndChangesNothing() {
        String before = fw.listJson();
        PortMapping clash = new PortMapping(Protocol.TCP, Cidr.parseAddress("127.0.0.1"), hostPort,
                Cidr.parseAddress("10.231.2.2"), 80);
        assertThatThrownBy(() -> fw.publish("cB1", List.of(clash)))
                .isInstanceOf(PortAllocationException.class)
                .hasMessage("Bind for 127.0.0.1:" + hostPort + " failed: port is already allocated");
        assertThatThrownBy(() -> ports.allocate("cB1", PortSpec.parse(hostPort + ":80"), Cidr.parseAddress("10.231.2.2"), null))
                .isInstanceOf(PortAllocationException.class)
                .hasMessage("Bind for 0.0.0.0:" + hostPort + " failed: port is already allocated");
        assertThat(fw.listJson()).isEqualTo(before);
    }

    @Test
    @Order(7)
    void aTransactionTheKernelRefusesLeavesTheRuleSetAsItWas() {
        // A foreign rule referencing brB's chain makes "delete chain fwd-in-brB" fail at the end of
        // removeNetwork's transaction, after its element deletions and flushes.
        try (Nftables nft = new Nftables()) {
            nft.run("add rule inet " + fw.table() + " post-" + brA + " meta mark 0x4242 jump fwd-in-" + brB + "\n");
        }
        String before = fw.listJson();
        assertThatThrownBy(() -> fw.removeNetwork(brB)).isInstanceOf(NftException.class);
        assertThat(fw.listJson()).isEqualTo(before);
        assertThat(fw.networks()).contains(brB);
        assertThat(lab.wget(b1, "10.231.1.2", 80)).as("isolation still on").isNull();
        fw.addNetwork(brA, NET_A, false, true, true); // rewrites post-brA without the foreign rule
        assertThat(fw.listJson()).doesNotContain("0x4242");
    }

    @Test
    @Order(8)
    void unpublishRemoveNetworkAndReconcileLeaveNoRule() {
        fw.publish("dead", List.of(new PortMapping(Protocol.UDP, Cidr.parseAddress("0.0.0.0"), 17001,
                Cidr.parseAddress("10.231.2.2"), 53)));
        lab.ip(lab.host, "link", "add", lab.id + "Z", "type", "bridge");
        fw.addNetwork(lab.id + "Z", List.of(Cidr.parse("10.231.7.0/24"), Cidr.parse("fd31:7::/64")), false, true, true);
        assertThat(fw.networks()).contains(lab.id + "Z");

        List<String> removed = fw.reconcile(Set.of(brA, brB, brI), Set.of("cA1"));
        assertThat(removed).containsExactlyInAnyOrder("network " + lab.id + "Z", "container dead");
        assertThat(fw.networks()).containsExactlyInAnyOrder(brA, brB, brI);
        assertThat(fw.published()).containsOnlyKeys("cA1");
        assertThat(fw.listJson()).doesNotContain(lab.id + "Z").doesNotContain("\"dead\"");

        fw.unpublish("cA1");
        fw.unpublish("cA1");
        ports.release("cA1");
        assertThat(fw.published()).isEmpty();
        assertThat(fw.listJson()).doesNotContain("cA1");
        assertThat(NetLab.get("127.0.0.1", hostPort)).isNull();

        for (String br : List.of(brA, brB, brI)) {
            fw.removeNetwork(br);
            fw.removeNetwork(br);
        }
        assertThat(fw.networks()).isEmpty();
        String json = fw.listJson();
        for (String br : List.of(brA, brB, brI)) {
            assertThat(json).doesNotContain(br);
        }
        assertThat(lab.wget(b1, "10.231.1.2", 80)).as("no isolation left").isEqualTo("10.231.2.2");
    }

    @Test
    @Order(9)
    void destroyRemovesTheTable() {
        String table = fw.table();
        fw.destroy();
        fw = null;
        try (Nftables nft = new Nftables()) {
            assertThatThrownBy(() -> nft.list("list table inet " + table)).isInstanceOf(NftException.class);
            assertThat(nft.run("list tables")).doesNotContain(table);
        }
    }
}
