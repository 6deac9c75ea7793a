package dev.berth.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IpamTest {
  @TempDir Path root;

  @Test
  void gatewayReservedAllocationsPersistedAndNeverTwice() {
    NetworkStore store = new NetworkStore(root);
    Cidr subnet = Cidr.parse("10.9.0.0/29");
    Ipam ipam = new Ipam(store, "n1", "net1", subnet, null, Cidr.parseAddress("10.9.0.1"));
    assertThat(ipam.allocate("a", null).getHostAddress()).isEqualTo("10.9.0.2");
    assertThat(ipam.allocate("b", null).getHostAddress()).isEqualTo("10.9.0.3");
    assertThat(ipam.allocate("c", Cidr.parseAddress("10.9.0.6")).getHostAddress()).isEqualTo("10.9.0.6");
    assertThatThrownBy(() -> ipam.allocate("d", Cidr.parseAddress("10.9.0.6"))).hasMessageContaining("Address already in use: 10.9.0.6");
    assertThatThrownBy(() -> ipam.allocate("d", Cidr.parseAddress("10.9.0.1"))).hasMessageContaining("10.9.0.1");
    assertThatThrownBy(() -> ipam.allocate("d", Cidr.parseAddress("10.8.0.9"))).hasMessageContaining("10.8.0.9").hasMessageContaining("net1");
    // a new Ipam over the same store (a restart) knows them all
    Ipam again = new Ipam(store, "n1", "net1", subnet, null, Cidr.parseAddress("10.9.0.1"));
    assertThat(again.allocations()).containsOnlyKeys("10.9.0.2", "10.9.0.3", "10.9.0.6");
    assertThat(again.allocate("d", null).getHostAddress()).isIn("10.9.0.4", "10.9.0.5");
    again.allocate("e", null);
    assertThatThrownBy(() -> again.allocate("f", null)).isInstanceOf(IpamException.class).hasMessageContaining("no available IPv4 addresses")
        .hasMessageContaining("net1");
    again.releaseOwner("b");
    assertThat(again.allocate("f", null).getHostAddress()).isEqualTo("10.9.0.3");
    assertThat(new Ipam(store, "n1", "net1", subnet, null, null).allocations()).containsEntry("10.9.0.3", "f");
  }

  @Test
  void lowestFreeAddressIsHandedOutAndAFreedOneReusedAlsoAfterARestart() {
    NetworkStore store = new NetworkStore(root);
    Cidr subnet = Cidr.parse("10.9.1.0/24");
    Ipam ipam = new Ipam(store, "n3", "net3", subnet, null, Cidr.parseAddress("10.9.1.1"));
    for (String owner : List.of("a", "b", "c", "d")) ipam.allocate(owner, null);
    assertThat(ipam.allocations()).containsOnlyKeys("10.9.1.2", "10.9.1.3", "10.9.1.4", "10.9.1.5");
    ipam.releaseOwner("b");
    ipam.releaseOwner("d");
    // the lowest free, not the next after the last given (10.9.1.6)
    assertThat(ipam.allocate("e", null).getHostAddress()).isEqualTo("10.9.1.3");
    assertThat(ipam.allocate("f", null).getHostAddress()).isEqualTo("10.9.1.5");
    assertThat(ipam.allocate("g", null).getHostAddress()).isEqualTo("10.9.1.6");
    // a static address below the next dynamic one is skipped by it
    assertThat(ipam.allocate("s", Cidr.parseAddress("10.9.1.7")).getHostAddress()).isEqualTo("10.9.1.7");
    ipam.releaseOwner("a");
    ipam.releaseOwner("g");
    // a restart (a new Ipam over the same store): the same choice
    Ipam again = new Ipam(store, "n3", "net3", subnet, null, Cidr.parseAddress("10.9.1.1"));
    assertThat(again.allocate("h", null).getHostAddress()).isEqualTo("10.9.1.2");
    assertThat(again.allocate("i", null).getHostAddress()).isEqualTo("10.9.1.6");
    assertThat(again.allocate("j", null).getHostAddress()).isEqualTo("10.9.1.8");
    // IPv6: the lowest free too (the range is far larger than what is looked at)
    Ipam v6 = new Ipam(store, "n3", "net3", Cidr.parse("fd00:9::/64"), null, Cidr.parseAddress("fd00:9::1"));
    assertThat(v6.allocate("a", null).getHostAddress()).isEqualTo("fd00:9:0:0:0:0:0:2");
    assertThat(v6.allocate("b", null).getHostAddress()).isEqualTo("fd00:9:0:0:0:0:0:3");
    v6.releaseOwner("a");
    assertThat(v6.allocate("c", null).getHostAddress()).isEqualTo("fd00:9:0:0:0:0:0:2");
  }

  @Test
  void rangeLimitsDynamicAddresses() {
    Ipam ipam = new Ipam(new NetworkStore(root), "n2", "net2", Cidr.parse("10.9.0.0/24"), Cidr.parse("10.9.0.128/30"),
        Cidr.parseAddress("10.9.0.1"));
    assertThat(List.of(ipam.allocate("a", null), ipam.allocate("b", null), ipam.allocate("c", null), ipam.allocate("d", null)))
        .extracting(java.net.InetAddress::getHostAddress).containsExactlyInAnyOrder("10.9.0.128", "10.9.0.129", "10.9.0.130", "10.9.0.131");
    assertThatThrownBy(() -> ipam.allocate("e", null)).isInstanceOf(IpamException.class);
    assertThat(ipam.allocate("e", Cidr.parseAddress("10.9.0.9")).getHostAddress()).isEqualTo("10.9.0.9");
  }

  @Test
  void storeWritesAtomicallyAndReadsBack() throws Exception {
    NetworkStore s = new NetworkStore(root);
    NetworkConfig n = new NetworkConfig("a".repeat(64), "web", "bridge", "2026-01-01T00:00:00Z", "br-aaaaaaaaaaaa",
        List.of(new NetworkConfig.Pool("10.1.0.0/24", "10.1.0.1", null)), true, false, true, false, Map.of("k", "v"),
        Map.of(NetworkConfig.BRIDGE_NAME, "x"), false, 0);
    s.save(n);
    assertThat(s.networks()).containsExactly(n);
    try (var ds = Files.list(root.resolve("network/networks"))) {
      assertThat(ds.map(p -> p.getFileName().toString()).toList()).containsExactly("a".repeat(64) + ".json"); // no temp file left
    }
    s.delete(n.id());
    assertThat(s.networks()).isEmpty();
  }

  @Test
  void poolsSkipTakenSubnetsAndParseDockerdSyntax() {
    AddressPools p = new AddressPools(List.of(AddressPools.parse("base=10.250.0.0/22,size=24")));
    assertThat(p.next(List.of()).toString()).isEqualTo("10.250.0.0/24");
    assertThat(p.next(List.of(Cidr.parse("10.250.0.0/24"), Cidr.parse("10.250.1.128/25"))).toString()).isEqualTo("10.250.2.0/24");
    assertThatThrownBy(() -> p.next(List.of(Cidr.parse("10.250.0.0/22")))).isInstanceOf(IpamException.class);
    assertThatThrownBy(() -> AddressPools.parse("base=10.0.0.0/16,size=8")).hasMessageContaining("size 8");
    assertThatThrownBy(() -> AddressPools.parse("base=10.0.0.0/16")).hasMessageContaining("base and size");
    assertThat(AddressPools.DOCKER_DEFAULTS.get(0).base().toString()).isEqualTo("172.16.0.0/12");
  }
}
