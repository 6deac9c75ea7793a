package dev.berth.sys.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.sys.SyscallException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The real kernel: two network namespaces pinned by NetNs in a temp directory ("host" and
 * "container"), a bridge and a veth pair built by Netlink in them, then a ping across.
 */
@Tag("root")
class NetlinkRootTest {
  @Test
  void bridgeVethAddressRouteAcrossTwoNamespaces() throws Exception {
    Path dir = Files.createTempDirectory("berth-netlink-");
    Path host = dir.resolve("host"), ctr = dir.resolve("ctr");
    int x = ThreadLocalRandom.current().nextInt(1, 250);
    try {
      NetNs.create(host);
      NetNs.create(ctr);
      assertThat(NetNs.pinned(host)).isTrue();
      assertThatThrownBy(() -> NetNs.create(host)).hasMessageContaining(host.toString());
      try (Netlink nl = Netlink.openIn(host)) {
        assertThat(nl.link("lo")).get().matches(Netlink.Link::up);
        nl.createBridge("tbr0", 0);
        assertThatThrownBy(() -> nl.createBridge("tbr0", 0)).isInstanceOf(SyscallException.class)
            .hasMessageContaining("tbr0").hasMessageContaining("EEXIST");
        int br = nl.index("tbr0");
        assertThat(nl.link(br).get().kind()).isEqualTo("bridge");
        nl.addAddress(br, InetAddress.getByName("10.77." + x + ".1"), 24);
        nl.setUp(br, true);
        nl.createVeth("vh0", "vc0", 1400);
        int vh = nl.index("vh0");
        nl.setMaster(vh, br);
        nl.setHairpin(vh, true);
        nl.setUp(vh, true);
        assertThat(nl.link("vh0").get().master()).isEqualTo(br);
        assertThat(nl.link("vh0").get().mtu()).isEqualTo(1400);
        nl.moveToNetns(nl.index("vc0"), ctr);
        assertThat(nl.link("vc0")).isEmpty();
        assertThat(Files.readString(Path.of("/proc/self/net/dev"))).doesNotContain("tbr0"); // not on the real host
      }
      byte[] mac = Netlink.macFor(InetAddress.getByName("10.77." + x + ".2"));
      try (Netlink nl = Netlink.openIn(ctr)) {
        int vc = nl.index("vc0");
        nl.rename(vc, "eth0");
        nl.setMac(vc, mac);
        nl.addAddress(vc, InetAddress.getByName("10.77." + x + ".2"), 24);
        nl.setUp(vc, true);
        nl.addDefaultRoute(InetAddress.getByName("10.77." + x + ".1"), vc);
        Netlink.Link eth0 = nl.link("eth0").get();
        assertThat(eth0.index()).isEqualTo(vc);
        assertThat(Netlink.macText(eth0.mac())).isEqualTo(String.format("02:42:0a:4d:%02x:02", x));
      }
      assertThat(run("nsenter", "--net=" + ctr, "/bin/busybox", "ping", "-c", "1", "-W", "5", "10.77." + x + ".1")).isZero();
      assertThat(run("nsenter", "--net=" + ctr, "sh", "-c", "ip route | grep -q 'default via 10.77." + x + ".1 dev eth0'")).isZero();
      try (Netlink nl = Netlink.openIn(host)) {
        assertThat(nl.deleteLink("vh0")).isTrue(); // its peer goes with it
        assertThat(nl.deleteLink("vh0")).isFalse();
        assertThat(nl.deleteLink("tbr0")).isTrue();
      }
      try (Netlink nl = Netlink.openIn(ctr)) {
        assertThat(nl.link("eth0")).isEmpty();
      }
    } finally {
      NetNs.remove(host);
      NetNs.remove(ctr);
      NetNs.remove(ctr); // twice: nothing to do
      Files.deleteIfExists(dir);
    }
    assertThat(Files.exists(host)).isFalse();
  }

  private static int run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).inheritIO().start();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return -1;
    }
    return p.exitValue();
  }
}
