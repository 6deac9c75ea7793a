package dev.berth.network.firewall;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.network.Cidr;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Real sockets on this machine's loopback: ports other processes hold are refused. */
class PortAllocatorTest {
    private static final InetAddress C4 = Cidr.parseAddress("10.0.0.2");

    @Test
    void randomPortsAreNeverGivenTwiceAndAreHeld() throws Exception {
        try (PortAllocator a = new PortAllocator()) {
            int[] range = PortAllocator.ephemeralRange();
            Set<Integer> seen = new HashSet<>();
            for (int i = 0; i < 20; i++) {
                List<PortMapping> m = a.allocate("c" + i, PortSpec.parse("80"), C4, null);
                assertThat(m).singleElement().satisfies(x -> {
                    assertThat(x.hostIpText()).isEqualTo("0.0.0.0");
                    assertThat(x.hostPort()).isBetween(range[0], range[1]);
                    assertThat(seen.add(x.hostPort())).isTrue();
                });
            }
            int p = a.allocated("c3").get(0).hostPort();
            assertThatThrownBy(() -> new ServerSocket(p).close()).as("placeholder holds it").isInstanceOf(java.io.IOException.class);
            a.release("c3");
            assertThat(a.allocated("c3")).isEmpty();
            new ServerSocket(p).close(); // free again
            int next = a.allocate("again", PortSpec.parse("80"), C4, null).get(0).hostPort();
            assertThat(next).as("not handed out again at once").isNotEqualTo(p);
        }
    }

    @Test
    void aPortSomeoneElseHoldsIsRefusedNamingIt() throws Exception {
        try (PortAllocator a = new PortAllocator(); ServerSocket other = new ServerSocket()) {
            other.bind(new InetSocketAddress("127.0.0.1", 0));
            int p = other.getLocalPort();
            assertThatThrownBy(() -> a.allocate("c", PortSpec.parse(p + ":80"), C4, null))
                    .isInstanceOf(PortAllocationException.class)
                    .hasMessage("Bind for 0.0.0.0:" + p + " failed: port is already allocated");
            // all or nothing: the first spec's port is given back when the second fails
            try (ServerSocket probe = new ServerSocket()) {
                probe.bind(new InetSocketAddress("127.0.0.1", 0));
                int q = probe.getLocalPort();
                probe.close();
                assertThatThrownBy(() -> a.allocate("c", List.of(new PortSpec("", q, q, 81, Protocol.TCP),
                        new PortSpec("", p, p, 80, Protocol.TCP)), C4, null)).isInstanceOf(PortAllocationException.class);
                assertThat(a.allocated("c")).isEmpty();
                new ServerSocket(q).close();
            }
        }
    }

    @Test
    void berthsOwnAllocationsClashAcrossAddressesAndUdpIsSeparate() throws Exception {
        int p;
        try (DatagramSocket probe = new DatagramSocket(0)) {
            p = probe.getLocalPort();
        }
        try (PortAllocator a = new PortAllocator()) {
            a.allocate("c1", PortSpec.parse("127.0.0.1:" + p + ":53/udp"), C4, null);
            assertThatThrownBy(() -> a.allocate("c2", PortSpec.parse(p + ":53/udp"), C4, null))
                    .hasMessage("Bind for 0.0.0.0:" + p + " failed: port is already allocated");
            assertThatThrownBy(() -> new DatagramSocket(new InetSocketAddress("127.0.0.1", p)).close())
                    .isInstanceOf(java.net.SocketException.class);
            assertThatThrownBy(() -> a.allocate("c3", PortSpec.parse("[::1]:" + p + ":53/udp"), C4, null))
                    .hasMessageContaining("no IPv6 address");
            a.release("c1");
            assertThat(a.allocate("c2", PortSpec.parse(p + ":53/udp"), C4, Cidr.parseAddress("fd00::2")))
                    .extracting(PortMapping::toString)
                    .containsExactly("0.0.0.0:" + p + " -> 10.0.0.2:53/udp", "[::]:" + p + " -> [fd00::2]:53/udp");
        }
    }
}
