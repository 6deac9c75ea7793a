package dev.berth.network.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.network.Cidr;
import dev.berth.sys.net.NetNs;
import dev.berth.sys.net.Netlink;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** A bridge network in a private "host" namespace, two "containers" (namespaces) that ping each other and the gateway. */
@Tag("root")
class BridgeDriverRootTest {
  @Test
  void twoEndpointsReachEachOtherAndTheGateway() throws Exception {
    Path dir = Files.createTempDirectory("berth-bridge-");
    Path host = dir.resolve("host"), a = dir.resolve("a"), b = dir.resolve("b");
    int x = ThreadLocalRandom.current().nextInt(1, 250);
    String net = "10.78." + x + ".";
    try {
      NetNs.create(host);
      NetNs.create(a);
      NetNs.create(b);
      BridgeDriver d = NetNs.run(host, BridgeDriver::new);
      try (d) {
        assertThat(d.ensureBridge("tbr1", List.of(Cidr.parse(net + "1/24")), 0, false)).isTrue();
        assertThat(d.ensureBridge("tbr1", List.of(Cidr.parse(net + "1/24")), 0, false)).isFalse(); // idempotent
        BridgeDriver.Attached ea = d.attach("tbr1", a, "eth0", Cidr.parse(net + "2/24"), Cidr.parseAddress(net + "1"), null, null, true, 0, true);
        BridgeDriver.Attached eb = d.attach("tbr1", b, "eth0", Cidr.parse(net + "3/24"), Cidr.parseAddress(net + "1"), null, null, true, 0, false);
        assertThat(ea.hostVeth()).matches("veth[0-9a-f]{7}");
        assertThat(ea.macText()).isEqualTo(String.format("02:42:0a:4e:%02x:02", x));
        assertThat(ping(a, net + "3")).isZero();
        assertThat(ping(b, net + "1")).isZero();
        try (Netlink in = Netlink.openIn(a)) {
          assertThat(in.link("eth0")).get().matches(Netlink.Link::up);
        }
        // a failure half-way (no such bridge) leaves no veth behind
        try (Netlink h = Netlink.openIn(host)) {
          int before = count(h);
          org.assertj.core.api.Assertions.assertThatThrownBy(() -> d.attach("nobr", a, "eth1", Cidr.parse(net + "4/24"), null, null, null, false, 0, false))
              .hasMessageContaining("nobr");
          assertThat(count(h)).isEqualTo(before);
        }
        d.detach(ea.hostVeth());
        d.detach(ea.hostVeth()); // gone: fine
        try (Netlink in = Netlink.openIn(a)) {
          assertThat(in.link("eth0")).isEmpty();
        }
        d.removeBridge("tbr1");
        assertThat(d.bridgeExists("tbr1")).isFalse();
      }
    } finally {
      NetNs.remove(a);
      NetNs.remove(b);
      NetNs.remove(host);
      Files.deleteIfExists(dir);
    }
  }

  private static int count(Netlink h) {
    int n = 0;
    for (int i = 1; i < 64; i++) if (h.link(i).isPresent()) n++;
    return n;
  }

  private static int ping(Path ns, String to) throws Exception {
    Process p = new ProcessBuilder("nsenter", "--net=" + ns, "/bin/busybox", "ping", "-c", "1", "-W", "5", to).inheritIO().start();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return -1;
    }
    return p.exitValue();
  }
}
