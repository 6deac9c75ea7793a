package dev.berth.sys.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** The rtnetlink messages, byte by byte, without a socket. */
class NetlinkMsgTest {
  private static ByteBuffer le(byte[] b) {
    return ByteBuffer.wrap(b).order(ByteOrder.nativeOrder());
  }

  @Test
  void bridgeCreationHasHeaderIfinfoNameAndKind() {
    byte[] m = Netlink.Msg.newBridge("br0", 0).bytes(7);
    ByteBuffer b = le(m);
    assertThat(b.getInt(0)).isEqualTo(m.length);
    assertThat(b.getShort(4)).isEqualTo(Netlink.RTM_NEWLINK);
    assertThat(b.getShort(6)).isEqualTo((short) (1 | 4 | 0x400 | 0x200));
    assertThat(b.getInt(8)).isEqualTo(7);
    // ifinfomsg: 16 bytes of zeros (family unspec, index 0)
    for (int i = 16; i < 32; i++) assertThat(m[i]).isZero();
    // IFLA_IFNAME "br0\0": len 8, type 3
    assertThat(b.getShort(32)).isEqualTo((short) 8);
    assertThat(b.getShort(34)).isEqualTo((short) 3);
    assertThat(new String(m, 36, 3)).isEqualTo("br0");
    assertThat(m[39]).isZero();
    // IFLA_LINKINFO { IFLA_INFO_KIND "bridge\0" (len 11, padded to 12) }: 4 + 12
    assertThat(b.getShort(40)).isEqualTo((short) 16);
    assertThat(b.getShort(42)).isEqualTo((short) 18);
    assertThat(b.getShort(44)).isEqualTo((short) 11);
    assertThat(b.getShort(46)).isEqualTo((short) 1);
    assertThat(new String(m, 48, 6)).isEqualTo("bridge");
    assertThat(m.length).isEqualTo(56);
  }

  @Test
  void vethNestsThePeerWithItsOwnIfinfo() {
    byte[] m = Netlink.Msg.newVeth("vh", "vc", 1500).bytes(1);
    ByteBuffer b = le(m);
    assertThat(b.getInt(0)).isEqualTo(m.length);
    // header 16 + ifinfo 16 + name "vh\0" (8) + mtu (8) = 48: IFLA_LINKINFO
    assertThat(b.getShort(50)).isEqualTo((short) 18);
    int linkinfoLen = b.getShort(48);
    assertThat(48 + linkinfoLen).isEqualTo(m.length);
    // kind "veth\0": len 9 padded to 12 → IFLA_INFO_DATA at 64, VETH_INFO_PEER at 68
    assertThat(b.getShort(66)).isEqualTo((short) 2);
    assertThat(b.getShort(70)).isEqualTo((short) 1);
    assertThat(b.getShort(64)).isEqualTo((short) (m.length - 64));
    // the peer: ifinfomsg (16) then IFLA_IFNAME "vc"
    assertThat(b.getShort(72 + 16 + 2)).isEqualTo((short) 3);
    assertThat(new String(m, 72 + 16 + 4, 2)).isEqualTo("vc");
  }

  @Test
  void vethIntoANamespaceEnslavesTheHostEndAndCreatesThePeerThere() {
    byte[] mac = {2, 0x42, 10, 1, 2, 3};
    byte[] m = Netlink.Msg.newVethInto("vh", 9, "eth0", 33, mac, 1500).bytes(1);
    ByteBuffer b = le(m);
    assertThat(b.getInt(0)).isEqualTo(m.length);
    // header 16 + ifinfo 16 + name "vh\0" (8) + mtu (8) = 48: IFLA_MASTER 9
    assertThat(b.getShort(50)).isEqualTo((short) 10);
    assertThat(b.getInt(52)).isEqualTo(9);
    // IFLA_LINKINFO at 56, kind "veth" (12) → INFO_DATA at 72, VETH_INFO_PEER at 76, peer ifinfo 80..96
    assertThat(b.getShort(58)).isEqualTo((short) 18);
    assertThat(b.getShort(78)).isEqualTo((short) 1);
    int p = 96;
    assertThat(b.getShort(p + 2)).isEqualTo((short) 3); // IFLA_IFNAME "eth0\0": 9 → 12
    assertThat(new String(m, p + 4, 4)).isEqualTo("eth0");
    p += 12;
    assertThat(b.getShort(p + 2)).isEqualTo((short) 28); // IFLA_NET_NS_FD 33
    assertThat(b.getInt(p + 4)).isEqualTo(33);
    p += 8;
    assertThat(b.getShort(p + 2)).isEqualTo((short) 1); // IFLA_ADDRESS: the MAC
    for (int k = 0; k < 6; k++) assertThat(m[p + 4 + k]).isEqualTo(mac[k]);
    p += 12;
    assertThat(b.getShort(p + 2)).isEqualTo((short) 4); // IFLA_MTU
    assertThat(p + 8).isEqualTo(m.length);
  }

  @Test
  void addressCarriesLocalAddressAndBroadcast() throws Exception {
    byte[] m = Netlink.Msg.newAddress(5, InetAddress.getByName("10.1.2.1"), 24).bytes(3);
    ByteBuffer b = le(m);
    assertThat(b.getShort(4)).isEqualTo(Netlink.RTM_NEWADDR);
    assertThat(m[16]).isEqualTo((byte) 2); // AF_INET
    assertThat(m[17]).isEqualTo((byte) 24);
    assertThat(b.getInt(20)).isEqualTo(5);
    assertThat(b.getShort(26)).isEqualTo((short) 2); // IFA_LOCAL
    assertThat(new byte[] {m[28], m[29], m[30], m[31]}).containsExactly(10, 1, 2, 1);
    assertThat(b.getShort(34)).isEqualTo((short) 1); // IFA_ADDRESS
    assertThat(b.getShort(42)).isEqualTo((short) 4); // IFA_BROADCAST 10.1.2.255
    assertThat(new byte[] {m[44], m[45], m[46], m[47]}).containsExactly(10, 1, 2, (byte) 255);
  }

  @Test
  void defaultRouteHasGatewayAndOif() throws Exception {
    byte[] m = Netlink.Msg.defaultRoute(InetAddress.getByName("10.1.2.1"), 9).bytes(3);
    ByteBuffer b = le(m);
    assertThat(b.getShort(4)).isEqualTo(Netlink.RTM_NEWROUTE);
    assertThat(m[16]).isEqualTo((byte) 2);
    assertThat(m[17]).isZero(); // dst_len 0: default
    assertThat(m[20] & 0xff).isEqualTo(254); // main table
    assertThat(m[23]).isEqualTo((byte) 1); // unicast
    assertThat(b.getShort(30)).isEqualTo((short) 5); // RTA_GATEWAY
    assertThat(b.getShort(38)).isEqualTo((short) 4); // RTA_OIF
    assertThat(b.getInt(40)).isEqualTo(9);
  }

  @Test
  void hairpinIsANestedBridgePortAttribute() {
    byte[] m = Netlink.Msg.hairpin(4, true).bytes(1);
    ByteBuffer b = le(m);
    assertThat(b.getShort(4)).isEqualTo(Netlink.RTM_SETLINK);
    assertThat(m[16]).isEqualTo((byte) 7); // AF_BRIDGE
    assertThat(b.getShort(34)).isEqualTo((short) (12 | 0x8000));
    assertThat(b.getShort(38)).isEqualTo((short) 4);
    assertThat(m[40]).isEqualTo((byte) 1);
  }

  @Test
  void parsesALinkReply() {
    byte[] m = new Netlink.Msg(Netlink.RTM_NEWLINK, 0).ifinfo((byte) 0, 12, 1, 0).attr(Netlink.IFLA_IFNAME, "eth0")
        .attr(Netlink.IFLA_MTU, 1500).attr(Netlink.IFLA_MASTER, 3).attr(Netlink.IFLA_ADDRESS, new byte[] {2, 0x42, 10, 0, 0, 2})
        .nest(Netlink.IFLA_LINKINFO).attr(Netlink.IFLA_INFO_KIND, "veth").end().bytes(1);
    Netlink.Link l = Netlink.Msg.parseLink(le(m));
    assertThat(l.index()).isEqualTo(12);
    assertThat(l.name()).isEqualTo("eth0");
    assertThat(l.up()).isTrue();
    assertThat(l.mtu()).isEqualTo(1500);
    assertThat(l.master()).isEqualTo(3);
    assertThat(l.kind()).isEqualTo("veth");
    assertThat(Netlink.macText(l.mac())).isEqualTo("02:42:0a:00:00:02");
  }
}
