package dev.berth.network.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.sys.Namespaces;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The embedded DNS server in network namespaces this test creates ({@code ip netns add}, unique
 * names), queried by busybox nslookup inside them and by a Java client whose sockets are made
 * inside them; forwarding goes to a fake upstream on the host's loopback.
 */
@Tag("root")
class EmbeddedDnsRootTest {
  static final String ID = "c0ffee";
  String ns;
  Path nsPath;
  FakeUpstream upstream;
  final List<AutoCloseable> cleanup = new ArrayList<>();

  /** The names berth knows for container ID: "web" (+ alias "www") and "many" (40 addresses). */
  final Resolver resolver = new Resolver() {
    @Override
    public List<InetAddress> lookup(String containerId, String name) {
      if (!containerId.equals(ID)) return List.of();
      if (name.equals("boom")) throw new IllegalStateException("resolver bug");
      return switch (name) {
        case "web", "www", "web.testnet" -> List.of(addr("10.89.0.5"), addr("fd00:89::5"));
        case "db" -> List.of(addr("10.89.0.6"));
        case "many" -> {
          List<InetAddress> l = new ArrayList<>();
          for (int i = 1; i <= 40; i++) l.add(addr("10.90.0." + i));
          yield l;
        }
        default -> List.of();
      };
    }

    @Override
    public Optional<String> reverse(String containerId, InetAddress a) {
      return a.equals(addr("10.89.0.5")) ? Optional.of("web.testnet") : Optional.empty();
    }
  };

  @BeforeEach
  void netns() throws Exception {
    ns = "berth-dns-" + ProcessHandle.current().pid() + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt());
    sh("ip", "netns", "add", ns);
    nsPath = Path.of("/run/netns", ns);
    sh("ip", "-n", ns, "link", "set", "lo", "up");
    // what a container's resolv.conf on a user network says: ip netns exec binds it over /etc/resolv.conf
    Path etc = Path.of("/etc/netns", ns);
    Files.createDirectories(etc);
    Files.writeString(etc.resolve("resolv.conf"), "nameserver 127.0.0.11\noptions ndots:0\n");
    upstream = new FakeUpstream();
  }

  @AfterEach
  void teardown() throws Exception {
    for (AutoCloseable c : cleanup.reversed()) c.close();
    upstream.close();
    sh("ip", "netns", "del", ns);
    Path etc = Path.of("/etc/netns", ns);
    Files.deleteIfExists(etc.resolve("resolv.conf"));
    Files.deleteIfExists(etc);
  }

  EmbeddedDns server(List<InetSocketAddress> upstreams) throws IOException {
    EmbeddedDns d = new EmbeddedDns(upstreams, Duration.ofSeconds(2));
    cleanup.add(d);
    return d;
  }

  @Test
  void busyboxResolvesNamesAliasesPtrAndForwards() throws Exception {
    EmbeddedDns dns = server(List.of(upstream.address()));
    cleanup.add(dns.serve(nsPath, ID, resolver));

    String web = nslookup("web");
    assertThat(web).contains("10.89.0.5").contains("fd00:89::5");
    assertThat(nslookup("WWW.")).contains("10.89.0.5");
    assertThat(nslookup("10.89.0.5")).contains("web.testnet");
    assertThat(nslookup("upstream.test")).contains("192.0.2.7");
    String unknown = nslookupFailing("nothere.test");
    assertThat(unknown).contains("NXDOMAIN");
  }

  @Test
  void javaClientOverUdpAndTcp() throws Exception {
    EmbeddedDns dns = server(List.of(upstream.address()));
    cleanup.add(dns.serve(nsPath, ID, resolver));
    try (DatagramChannel c = udpClient()) {
      DnsMessage a = ask(c, "Web", DnsMessage.TYPE_A);
      assertThat(a.rcode()).isEqualTo(DnsMessage.NOERROR);
      assertThat(a.questions().getFirst().name()).isEqualTo("Web"); // the asker's case kept
      assertThat(a.answers()).extracting(DnsMessage.Rr::text).containsExactly("10.89.0.5");
      assertThat(a.answers().getFirst().ttl()).isEqualTo(600);
      assertThat(ask(c, "web.", DnsMessage.TYPE_AAAA).answers()).extracting(DnsMessage.Rr::text)
          .containsExactly(InetAddress.getByName("fd00:89::5").getHostAddress());
      DnsMessage noV6 = ask(c, "db", DnsMessage.TYPE_AAAA); // known name, no such address: NODATA
      assertThat(noV6.rcode()).isEqualTo(DnsMessage.NOERROR);
      assertThat(noV6.answers()).isEmpty();
      assertThat(ask(c, "5.0.89.10.in-addr.arpa", DnsMessage.TYPE_PTR).answers()).extracting(DnsMessage.Rr::text)
          .containsExactly("web.testnet");
      DnsMessage fwd = ask(c, "UPSTREAM.test", DnsMessage.TYPE_A);
      assertThat(fwd.answers()).extracting(DnsMessage.Rr::text).containsExactly("192.0.2.7");
      assertThat(ask(c, "unknown.test", DnsMessage.TYPE_A).rcode()).isEqualTo(DnsMessage.NXDOMAIN);

      // 40 addresses do not fit 512 bytes: truncated over UDP, whole over TCP
      DnsMessage big = ask(c, "many", DnsMessage.TYPE_A);
      assertThat(big.truncated()).isTrue();
      assertThat(big.answers()).isEmpty();
    }
    try (SocketChannel t = tcpClient()) {
      DnsMessage big = askTcp(t, "many", DnsMessage.TYPE_A);
      assertThat(big.truncated()).isFalse();
      assertThat(big.answers()).hasSize(40);
      // the same connection carries more queries, forwarded ones too
      assertThat(askTcp(t, "upstream.test", DnsMessage.TYPE_A).answers()).extracting(DnsMessage.Rr::text)
          .containsExactly("192.0.2.7");
      assertThat(askTcp(t, "www", DnsMessage.TYPE_A).answers()).hasSize(1);
      // the upstream's UDP reply is truncated: a TCP client gets the whole answer, over TCP upstream
      assertThat(askTcp(t, "big.test", DnsMessage.TYPE_A).answers()).hasSize(40);
    }
    try (DatagramChannel c = udpClient()) { // a UDP client gets the truncated reply, to ask again over TCP
      DnsMessage big = ask(c, "big.test", DnsMessage.TYPE_A);
      assertThat(big.truncated()).isTrue();
    }
  }

  @Test
  void severalQueriesInFlightAndSlowUpstreams() throws Exception {
    EmbeddedDns dns = server(List.of(upstream.address()));
    cleanup.add(dns.serve(nsPath, ID, resolver));
    upstream.delayMs = 700;
    try (DatagramChannel c = udpClient()) {
      long t0 = System.nanoTime();
      for (int i = 0; i < 5; i++) {
        int id = 100 + i;
        c.write(ByteBuffer.wrap(DnsMessage.query(id, "upstream.test", DnsMessage.TYPE_A)));
      }
      // a local name is answered at once while the five wait for the upstream
      c.write(ByteBuffer.wrap(DnsMessage.query(7, "web", DnsMessage.TYPE_A)));
      DnsMessage first = receive(c);
      assertThat(first.id()).isEqualTo(7);
      List<Integer> ids = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        DnsMessage m = receive(c);
        assertThat(m.answers()).extracting(DnsMessage.Rr::text).containsExactly("192.0.2.7");
        ids.add(m.id());
      }
      assertThat(ids).containsExactlyInAnyOrder(100, 101, 102, 103, 104);
      // concurrently forwarded: far less than 5 x 700 ms (generous: the machine is loaded)
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(3400);
    }
  }

  @Test
  void noUpstreamRefusesAndADeadUpstreamFailsAfterTheTimeout() throws Exception {
    EmbeddedDns none = server(List.of());
    AutoCloseable h = none.serve(nsPath, ID, resolver);
    try (DatagramChannel c = udpClient()) {
      assertThat(ask(c, "web", DnsMessage.TYPE_A).answers()).hasSize(1);
      assertThat(ask(c, "upstream.test", DnsMessage.TYPE_A).rcode()).isEqualTo(DnsMessage.REFUSED);
    }
    h.close();
    // an upstream that never answers (a bound socket that reads nothing), then a working one
    try (DatagramSocket silent = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
      InetSocketAddress dead = (InetSocketAddress) silent.getLocalSocketAddress();
      EmbeddedDns onlyDead = new EmbeddedDns(List.of(dead), Duration.ofMillis(300));
      cleanup.add(onlyDead);
      AutoCloseable h2 = onlyDead.serve(nsPath, ID, resolver);
      try (DatagramChannel c = udpClient()) {
        assertThat(ask(c, "upstream.test", DnsMessage.TYPE_A).rcode()).isEqualTo(DnsMessage.SERVFAIL);
      }
      h2.close();
      EmbeddedDns deadThenGood = new EmbeddedDns(List.of(dead, upstream.address()), Duration.ofMillis(300));
      cleanup.add(deadThenGood);
      cleanup.add(deadThenGood.serve(nsPath, ID, resolver));
      try (DatagramChannel c = udpClient()) {
        assertThat(ask(c, "upstream.test", DnsMessage.TYPE_A).answers()).extracting(DnsMessage.Rr::text)
            .containsExactly("192.0.2.7");
      }
    }
  }

  @Test
  void badQueriesGetFormerrAndNotimp() throws Exception {
    EmbeddedDns dns = server(List.of(upstream.address()));
    cleanup.add(dns.serve(nsPath, ID, resolver));
    try (DatagramChannel c = udpClient()) {
      byte[] two = DnsMessage.query(5, "web", DnsMessage.TYPE_A);
      two[5] = 2; // QDCOUNT 2, one question present
      c.write(ByteBuffer.wrap(two));
      assertThat(receive(c).rcode()).isEqualTo(DnsMessage.FORMERR);
      byte[] cut = java.util.Arrays.copyOf(DnsMessage.query(6, "web", DnsMessage.TYPE_A), 15);
      c.write(ByteBuffer.wrap(cut));
      assertThat(receive(c).rcode()).isEqualTo(DnsMessage.FORMERR);
      byte[] notify = DnsMessage.query(8, "web", DnsMessage.TYPE_A);
      notify[2] = (byte) (4 << 3); // opcode NOTIFY
      c.write(ByteBuffer.wrap(notify));
      DnsMessage r = receive(c);
      assertThat(r.id()).isEqualTo(8);
      assertThat(r.rcode()).isEqualTo(DnsMessage.NOTIMP);
      // a stray response and a runt are dropped; the server goes on answering
      byte[] resp = DnsMessage.query(9, "web", DnsMessage.TYPE_A);
      resp[2] |= (byte) 0x80;
      c.write(ByteBuffer.wrap(resp));
      c.write(ByteBuffer.wrap(new byte[3]));
      assertThat(ask(c, "web", DnsMessage.TYPE_A).answers()).hasSize(1);
      // a resolver that throws costs that query a SERVFAIL, nothing more
      assertThat(ask(c, "boom", DnsMessage.TYPE_A).rcode()).isEqualTo(DnsMessage.SERVFAIL);
      assertThat(ask(c, "WEB", DnsMessage.TYPE_A).answers()).hasSize(1);
    }
  }

  @Test
  void closingFreesThePortsAndLeavesNoThread() throws Exception {
    EmbeddedDns dns = new EmbeddedDns(List.of(upstream.address()), Duration.ofSeconds(2));
    AutoCloseable h = dns.serve(nsPath, ID, resolver);
    assertThat(dns.served()).isEqualTo(1);
    try (SocketChannel t = tcpClient()) { // leave a TCP connection open across the close
      assertThat(askTcp(t, "web", DnsMessage.TYPE_A).answers()).hasSize(1);
      assertThatThrownBy(() -> dns.serve(nsPath, "other", resolver)).isInstanceOf(IOException.class)
          .hasMessageContaining(nsPath.toString()).hasMessageContaining("in use");
      h.close();
      h.close(); // twice is harmless
      assertThat(dns.served()).isZero();
      AutoCloseable again = dns.serve(nsPath, ID, resolver); // the ports are free again
      try (DatagramChannel c = udpClient()) {
        assertThat(ask(c, "web", DnsMessage.TYPE_A).answers()).hasSize(1);
      }
      dns.close();
      again.close(); // after the server: harmless
    }
    assertThat(liveThreads()).isEmpty();
    // nothing listens in the namespace any more
    String ss = sh("ip", "netns", "exec", ns, "ss", "-lnu");
    assertThat(ss).doesNotContain("127.0.0.11:53");
    assertThatThrownBy(() -> dns.serve(nsPath, ID, resolver)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> new EmbeddedDns(List.of(), Duration.ofSeconds(2)).serve(Path.of("/run/netns/berth-no-such-ns"), ID, resolver))
        .hasMessageContaining("/run/netns/berth-no-such-ns");
  }

  @Test
  void eachContainerCostsTwoFdsAndNoThread() throws Exception {
    EmbeddedDns dns = server(List.of(upstream.address()));
    cleanup.add(dns.serve(nsPath, ID, resolver)); // the selector's own fds are counted before
    List<String> more = new ArrayList<>();
    try {
      for (int i = 0; i < 8; i++) {
        String n = ns + "-" + i;
        sh("ip", "netns", "add", n);
        more.add(n);
        sh("ip", "-n", n, "link", "set", "lo", "up");
      }
      long threads = Thread.getAllStackTraces().size();
      long fds = fds();
      List<AutoCloseable> handles = new ArrayList<>();
      for (String n : more) handles.add(dns.serve(Path.of("/run/netns", n), "c-" + n, resolver));
      assertThat(fds() - fds).isEqualTo(2L * more.size());
      assertThat((long) Thread.getAllStackTraces().size()).isLessThanOrEqualTo(threads);
      assertThat(dns.served()).isEqualTo(1 + more.size());
      for (AutoCloseable h : handles) h.close();
      assertThat(fds()).isEqualTo(fds);
    } finally {
      for (String n : more) sh("ip", "netns", "del", n);
    }
  }

  static long fds() throws IOException {
    try (var s = Files.list(Path.of("/proc/self/fd"))) {
      return s.count();
    }
  }

  static List<String> liveThreads() throws InterruptedException {
    for (int i = 0; i < 50; i++) {
      List<String> l = Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
          .filter(n -> n.startsWith("berth-dns") || n.startsWith("berth-netns")).toList();
      if (l.isEmpty()) return l;
      Thread.sleep(100);
    }
    return Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
        .filter(n -> n.startsWith("berth-dns") || n.startsWith("berth-netns")).toList();
  }

  // ---- clients ----

  DatagramChannel udpClient() throws Exception {
    DatagramChannel c = Namespaces.inNetns(nsPath, () -> DatagramChannel.open(StandardProtocolFamily.INET));
    c.connect(EmbeddedDns.ADDRESS);
    return c;
  }

  SocketChannel tcpClient() throws Exception {
    SocketChannel c = Namespaces.inNetns(nsPath, () -> SocketChannel.open(StandardProtocolFamily.INET));
    c.connect(EmbeddedDns.ADDRESS);
    return c;
  }

  static DnsMessage ask(DatagramChannel c, String name, int type) throws Exception {
    int id = ThreadLocalRandom.current().nextInt(0x10000);
    c.write(ByteBuffer.wrap(DnsMessage.query(id, name, type)));
    DnsMessage m = receive(c);
    assertThat(m.id()).isEqualTo(id);
    return m;
  }

  static DnsMessage receive(DatagramChannel c) throws Exception {
    ByteBuffer b = ByteBuffer.allocate(65535);
    CompletableFuture<Integer> f = CompletableFuture.supplyAsync(() -> {
      try {
        return c.read(b);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    int n = f.get(20, TimeUnit.SECONDS);
    return DnsMessage.parse(java.util.Arrays.copyOf(b.array(), n));
  }

  static DnsMessage askTcp(SocketChannel t, String name, int type) throws Exception {
    byte[] q = DnsMessage.query(42, name, type);
    ByteBuffer out = ByteBuffer.allocate(q.length + 2).putShort((short) q.length).put(q).flip();
    while (out.hasRemaining()) t.write(out);
    ByteBuffer len = ByteBuffer.allocate(2);
    while (len.hasRemaining()) if (t.read(len) < 0) throw new IOException("closed");
    ByteBuffer body = ByteBuffer.allocate(len.flip().getShort() & 0xFFFF);
    while (body.hasRemaining()) if (t.read(body) < 0) throw new IOException("closed");
    return DnsMessage.parse(body.array());
  }

  String nslookup(String name) throws Exception {
    return sh("ip", "netns", "exec", ns, "busybox", "nslookup", name, "127.0.0.11");
  }

  String nslookupFailing(String name) throws Exception {
    Process p = new ProcessBuilder("ip", "netns", "exec", ns, "busybox", "nslookup", name, "127.0.0.11")
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isNotZero();
    return out;
  }

  static String sh(String... cmd) throws Exception {
    Process p;
    try {
      p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IllegalStateException("this test needs " + cmd[0] + " (and busybox-static): " + e.getMessage(), e);
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
    }
    return out;
  }

  static InetAddress addr(String s) {
    try {
      return InetAddress.getByName(s);
    } catch (IOException e) {
      throw new IllegalArgumentException(e);
    }
  }

  /**
   * A tiny upstream on the host's loopback: "upstream.test" A is 192.0.2.7, every other name
   * NXDOMAIN; each query answered on its own thread after {@code delayMs}.
   */
  static final class FakeUpstream implements AutoCloseable {
    final DatagramSocket socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
    volatile int delayMs;
    final Thread thread;

    final java.net.ServerSocket tcp;
    final Thread tcpThread;

    FakeUpstream() throws IOException {
      thread = Thread.ofPlatform().name("fake-upstream").daemon(true).start(this::run);
      tcp = new java.net.ServerSocket();
      tcp.bind(new InetSocketAddress("127.0.0.1", socket.getLocalPort()));
      tcpThread = Thread.ofPlatform().name("fake-upstream-tcp").daemon(true).start(this::runTcp);
    }

    void runTcp() {
      while (!tcp.isClosed()) {
        try (java.net.Socket c = tcp.accept()) {
          java.io.DataInputStream in = new java.io.DataInputStream(c.getInputStream());
          byte[] q = new byte[in.readUnsignedShort()];
          in.readFully(q);
          byte[] r = reply(q, true);
          java.io.DataOutputStream out = new java.io.DataOutputStream(c.getOutputStream());
          out.writeShort(r.length);
          out.write(r);
          out.flush();
        } catch (Exception e) {
          // closed, or a client that went away
        }
      }
    }

    InetSocketAddress address() {
      return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    void run() {
      byte[] b = new byte[65535];
      while (!socket.isClosed()) {
        DatagramPacket p = new DatagramPacket(b, b.length);
        try {
          socket.receive(p);
        } catch (IOException e) {
          return;
        }
        byte[] q = java.util.Arrays.copyOf(p.getData(), p.getLength());
        InetSocketAddress from = (InetSocketAddress) p.getSocketAddress();
        Thread.ofVirtual().start(() -> answer(q, from));
      }
    }

    void answer(byte[] q, InetSocketAddress from) {
      try {
        if (delayMs > 0) Thread.sleep(delayMs);
        byte[] r = reply(q, false);
        socket.send(new DatagramPacket(r, r.length, from));
      } catch (Exception e) {
        // a test upstream: drop what it cannot read
      }
    }

    /** "big.test" has 40 addresses: over UDP only a truncated reply. */
    static byte[] reply(byte[] q, boolean overTcp) throws Exception {
      {
        DnsMessage m = DnsMessage.parse(q);
        int qend0 = DnsMessage.query(0, m.questions().getFirst().name(), 1).length;
        if (DnsMessage.normalize(m.questions().getFirst().name()).equals("big.test")) {
          List<DnsMessage.Answer> l = new ArrayList<>();
          for (int i = 1; i <= 40; i++) l.add(DnsMessage.Answer.of(addr("198.51.100." + i), 60));
          byte[] full = DnsMessage.reply(q, qend0, DnsMessage.RA, 0, l);
          return overTcp ? full : DnsMessage.truncate(full, qend0);
        }
        boolean known = DnsMessage.normalize(m.questions().getFirst().name()).equals("upstream.test");
        boolean a = known && m.questions().getFirst().type() == DnsMessage.TYPE_A;
        int qend = DnsMessage.query(0, m.questions().getFirst().name(), 1).length;
        byte[] r = DnsMessage.reply(q, qend, DnsMessage.RA, known ? 0 : DnsMessage.NXDOMAIN,
            a ? List.of(DnsMessage.Answer.of(addr("192.0.2.7"), 60)) : List.of());
        return r;
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
      tcp.close();
    }
  }
}
