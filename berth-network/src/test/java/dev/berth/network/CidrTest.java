package dev.berth.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CidrTest {
  @Test
  void parsesAndPrintsBothFamilies() {
    assertThat(Cidr.parse("172.18.0.5/16").network().toString()).isEqualTo("172.18.0.0/16");
    assertThat(Cidr.parse("fd00:0b:0::1/64").network().toString()).isEqualTo("fd00:b::/64");
    assertThat(Cidr.parse("10.0.0.1").prefix()).isEqualTo(32);
    assertThat(Cidr.parse("::1").prefix()).isEqualTo(128);
  }

  @Test
  void nthIndexContainsOverlaps() {
    Cidr n = Cidr.parse("172.18.0.0/16");
    assertThat(n.nth(1).getHostAddress()).isEqualTo("172.18.0.1");
    assertThat(n.nth(65535).getHostAddress()).isEqualTo("172.18.255.255");
    assertThat(n.indexOf(Cidr.parseAddress("172.18.1.2")).longValue()).isEqualTo(258);
    assertThat(n.indexOf(Cidr.parseAddress("172.19.0.1")).signum()).isNegative();
    assertThat(n.overlaps(Cidr.parse("172.18.5.0/24"))).isTrue();
    assertThat(n.overlaps(Cidr.parse("172.19.0.0/24"))).isFalse();
    assertThat(Cidr.parse("172.16.0.0/12").overlaps(n)).isTrue();
    assertThat(n.overlaps(Cidr.parse("fd00::/64"))).isFalse();
    assertThat(n.size().longValue()).isEqualTo(65536);
  }

  @Test
  void refusesWhatIsNotALiteralPrefix() {
    for (String bad : new String[] {"", "172.18.0.0/33", "172.18.0/16", "300.1.1.1/8", "example.com/24", "1.2.3.4/", "1.2.3.4/x",
        "fd00::/129", "1.2.3.4/-1"}) {
      assertThatThrownBy(() -> Cidr.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("invalid");
    }
  }
}
