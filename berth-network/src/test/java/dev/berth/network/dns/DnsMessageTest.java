package dev.berth.network.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.network.dns.DnsMessage.Answer;
import java.net.InetAddress;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class DnsMessageTest {
  @Test
  void queryIsTheWireFormatOfRfc1035() throws Exception {
    byte[] q = DnsMessage.query(0x1234, "Web.Example.", DnsMessage.TYPE_A);
    assertThat(HexFormat.of().formatHex(q)).isEqualTo(
        "1234" + "0100" + "0001" + "0000" + "0000" + "0000"
            + "03576562" + "074578616d706c65" + "00" + "0001" + "0001");
    DnsMessage m = DnsMessage.parse(q);
    assertThat(m.id()).isEqualTo(0x1234);
    assertThat(m.isResponse()).isFalse();
    assertThat(m.questions()).containsExactly(new DnsMessage.Question("Web.Example", DnsMessage.TYPE_A, 1));
  }

  @Test
  void replyKeepsTheQuestionAndPointsEachAnswerAtIt() throws Exception {
    byte[] q = DnsMessage.query(7, "WEB", DnsMessage.TYPE_A);
    byte[] r = DnsMessage.reply(q, q.length, DnsMessage.AA, DnsMessage.NOERROR,
        List.of(Answer.of(InetAddress.getByName("10.1.2.3"), 600), Answer.of(InetAddress.getByName("10.1.2.4"), 600)));
    // each answer: c00c type class ttl rdlength rdata = 16 bytes
    assertThat(r).hasSize(q.length + 32);
    assertThat(HexFormat.of().formatHex(r, q.length, q.length + 16)).isEqualTo("c00c00010001000002580004" + "0a010203");
    DnsMessage m = DnsMessage.parse(r);
    assertThat(m.isResponse()).isTrue();
    assertThat(m.flags() & DnsMessage.AA).isNotZero();
    assertThat(m.flags() & DnsMessage.RD).isNotZero(); // copied from the query
    assertThat(m.rcode()).isZero();
    assertThat(m.answers()).extracting(DnsMessage.Rr::name).containsExactly("WEB", "WEB");
    assertThat(m.answers()).extracting(DnsMessage.Rr::text).containsExactly("10.1.2.3", "10.1.2.4");
    assertThat(m.answers()).extracting(DnsMessage.Rr::ttl).containsOnly(600L);
  }

  @Test
  void ptrAndAaaaAnswersDecode() throws Exception {
    byte[] q = DnsMessage.query(9, "3.2.1.10.in-addr.arpa", DnsMessage.TYPE_PTR);
    DnsMessage m = DnsMessage.parse(DnsMessage.reply(q, q.length, 0, 0, List.of(Answer.ptr("web.mynet", 600))));
    assertThat(m.answers().getFirst().type()).isEqualTo(DnsMessage.TYPE_PTR);
    assertThat(m.answers().getFirst().text()).isEqualTo("web.mynet");
    byte[] q6 = DnsMessage.query(9, "web", DnsMessage.TYPE_AAAA);
    DnsMessage m6 = DnsMessage.parse(DnsMessage.reply(q6, q6.length, 0, 0,
        List.of(Answer.of(InetAddress.getByName("fd00::5"), 600))));
    assertThat(m6.answers().getFirst().type()).isEqualTo(DnsMessage.TYPE_AAAA);
    assertThat(InetAddress.getByName(m6.answers().getFirst().text())).isEqualTo(InetAddress.getByName("fd00::5"));
  }

  @Test
  void compressedNamesAreFollowedBackwardsOnly() throws Exception {
    // header, question "a.example" A IN, answer "b" + pointer to "example" (offset 14), CNAME -> pointer to 12
    String hex = "0001" + "8180" + "0001" + "0001" + "0000" + "0000"
        + "0161" + "076578616d706c65" + "00" + "0001" + "0001"
        + "0162" + "c00e" + "0005" + "0001" + "0000003c" + "0002" + "c00c";
    DnsMessage m = DnsMessage.parse(HexFormat.of().parseHex(hex));
    assertThat(m.answers().getFirst().name()).isEqualTo("b.example");
    assertThat(m.answers().getFirst().text()).isEqualTo("a.example");
    // a pointer to itself (a loop) and a forward pointer are refused
    String loop = "0001" + "0100" + "0001" + "0000" + "0000" + "0000" + "c00c" + "0001" + "0001";
    assertThatThrownBy(() -> DnsMessage.parse(HexFormat.of().parseHex(loop)))
        .isInstanceOf(DnsMessage.FormatException.class).hasMessageContaining("backwards");
    String fwd = "0001" + "0100" + "0001" + "0000" + "0000" + "0000" + "c012" + "0001" + "0001" + "0161" + "00";
    assertThatThrownBy(() -> DnsMessage.parse(HexFormat.of().parseHex(fwd)))
        .isInstanceOf(DnsMessage.FormatException.class);
  }

  @Test
  void malformedMessagesAreRefusedWithTheReason() {
    assertThatThrownBy(() -> DnsMessage.parse(new byte[5])).hasMessageContaining("shorter than the 12-byte header");
    byte[] q = DnsMessage.query(1, "web", DnsMessage.TYPE_A);
    assertThatThrownBy(() -> DnsMessage.parse(java.util.Arrays.copyOf(q, q.length - 2)))
        .hasMessageContaining("truncated");
    byte[] label = HexFormat.of().parseHex("0001010000010000000000004161");
    assertThatThrownBy(() -> DnsMessage.parse(label)).hasMessageContaining("unknown label type");
    assertThatThrownBy(() -> DnsMessage.query(1, "a".repeat(64), 1)).hasMessageContaining("invalid DNS name");
    assertThatThrownBy(() -> DnsMessage.query(1, "a..b", 1)).hasMessageContaining("invalid DNS name");
  }

  @Test
  void oddBytesInLabelsAreEscaped() throws Exception {
    byte[] m = HexFormat.of().parseHex("000101000001000000000000" + "03612e62" + "00" + "0001" + "0001");
    assertThat(DnsMessage.parse(m).questions().getFirst().name()).isEqualTo("a\\046b");
  }

  @Test
  void reverseNames() throws Exception {
    assertThat(DnsMessage.reverseName(InetAddress.getByName("172.17.0.2"))).isEqualTo("2.0.17.172.in-addr.arpa");
    assertThat(DnsMessage.reverseAddress("2.0.17.172.in-addr.arpa")).isEqualTo(InetAddress.getByName("172.17.0.2"));
    InetAddress v6 = InetAddress.getByName("fd00:1::2f");
    String r6 = DnsMessage.reverseName(v6);
    assertThat(r6).isEqualTo("f.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.0.0.d.f.ip6.arpa");
    assertThat(DnsMessage.reverseAddress(r6)).isEqualTo(v6);
    assertThat(DnsMessage.reverseAddress("17.172.in-addr.arpa")).isNull();
    assertThat(DnsMessage.reverseAddress("256.0.17.172.in-addr.arpa")).isNull();
    assertThat(DnsMessage.reverseAddress("example.com")).isNull();
  }

  @Test
  void namesAreComparedLowerCaseWithoutTheTrailingDot() {
    assertThat(DnsMessage.normalize("Web.MyNet.")).isEqualTo("web.mynet");
    assertThat(DnsMessage.normalize("web")).isEqualTo("web");
  }

  @Test
  void truncationKeepsHeaderAndQuestionAndSetsTc() throws Exception {
    byte[] q = DnsMessage.query(3, "many", DnsMessage.TYPE_A);
    byte[] r = DnsMessage.reply(q, q.length, 0, 0, List.of(Answer.of(InetAddress.getByName("10.0.0.1"), 600)));
    DnsMessage t = DnsMessage.parse(DnsMessage.truncate(r, q.length));
    assertThat(t.truncated()).isTrue();
    assertThat(t.answers()).isEmpty();
    assertThat(t.questions()).hasSize(1);
  }
}
