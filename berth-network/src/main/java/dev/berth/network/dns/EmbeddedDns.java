package dev.berth.network.dns;

import dev.berth.network.dns.DnsMessage.Answer;
import dev.berth.sys.Namespaces;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The embedded DNS server, as Docker's 127.0.0.11: one instance per daemon, one thread
 * ({@code berth-dns}) for every container it serves. {@link #serve} opens a UDP and a TCP listener
 * on 127.0.0.11:53 inside a container's network namespace; queries are answered from the
 * {@link Resolver} (A, AAAA, PTR of the names berth knows, for the container asking) and everything
 * else is forwarded, from the host's namespace, to the upstream resolvers (so a resolver on the
 * host's loopback works), each tried in turn with a timeout. Replies that do not fit a UDP
 * datagram come back truncated (TC) and whole over TCP.
 *
 * <p>Rcodes: a query berth cannot answer and no upstream answered gets SERVFAIL; one berth cannot
 * answer where there is no upstream at all (an empty list, e.g. an internal network) gets
 * REFUSED; an upstream's NXDOMAIN is passed on; a question that does not parse gets FORMERR, an
 * opcode other than QUERY NOTIMP.
 */
public final class EmbeddedDns implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(EmbeddedDns.class.getName());
  /** Where containers find the server, as with Docker. */
  public static final InetSocketAddress ADDRESS = new InetSocketAddress(loopback11(), 53);
  /** The TTL of berth's own answers, as Docker's. */
  public static final long TTL = 600;
  static final int MAX_FORWARDS = 1024;
  static final int MAX_TCP_PER_CONTAINER = 16;
  static final Duration TCP_IDLE = Duration.ofSeconds(10);

  private final List<InetSocketAddress> upstreams;
  private final Duration timeout;
  private final Selector selector;
  private final Thread thread;
  private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final Set<Endpoint> endpoints = new HashSet<>();
  private final Set<Forward> forwards = new HashSet<>();
  private final ByteBuffer buf = ByteBuffer.allocateDirect(65535 + 2);
  private final SecureRandom random = new SecureRandom();
  private volatile boolean running = true;

  /**
   * A server forwarding to {@code upstreams} (tried in order, each for {@code timeout}; an empty
   * list forwards nothing). Starts its thread; {@link #close} stops it.
   */
  public EmbeddedDns(List<InetSocketAddress> upstreams, Duration timeout) throws IOException {
    if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("DNS forwarding timeout must be positive: " + timeout);
    this.upstreams = List.copyOf(upstreams);
    this.timeout = timeout;
    this.selector = Selector.open();
    this.thread = Thread.ofPlatform().name("berth-dns").daemon(true).unstarted(this::loop);
    thread.start();
  }

  /** A server forwarding to the name servers of the host's /etc/resolv.conf (2 s each). */
  public static EmbeddedDns forHost() throws IOException {
    return new EmbeddedDns(nameservers(Path.of("/etc/resolv.conf")), Duration.ofSeconds(2));
  }

  /** The {@code nameserver} lines of a resolv.conf (port 53); none if the file is absent. */
  public static List<InetSocketAddress> nameservers(Path resolvConf) throws IOException {
    if (!Files.exists(resolvConf)) return List.of();
    return nameservers(Files.readString(resolvConf, StandardCharsets.UTF_8));
  }

  public static List<InetSocketAddress> nameservers(String resolvConf) {
    List<InetSocketAddress> out = new ArrayList<>();
    for (String line : resolvConf.split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length >= 2 && f[0].equals("nameserver")) {
        try {
          String a = f[1];
          int pct = a.indexOf('%');
          out.add(new InetSocketAddress(dev.berth.network.Cidr.parseAddress(pct >= 0 ? a.substring(0, pct) : a), 53));
        } catch (IllegalArgumentException e) {
          // not an address: Docker lists it as invalid and skips it too
        }
      }
    }
    return List.copyOf(out);
  }

  /** The upstreams this server forwards to unless {@link #serve} names others. */
  public List<InetSocketAddress> upstreams() {
    return upstreams;
  }

  /**
   * Serves the container {@code containerId} whose network namespace is {@code netns} (a pinned
   * netns file or {@code /proc/PID/ns/net}; its {@code lo} must be up): its queries are answered
   * from {@code resolver} and forwarded to this server's upstreams. Closing the returned handle
   * stops serving it and frees the two sockets (the namespace can then go); closing it twice is
   * harmless. Throws if the namespace cannot be joined or 127.0.0.11:53 is taken there.
   */
  public AutoCloseable serve(Path netns, String containerId, Resolver resolver) throws IOException {
    return serve(netns, containerId, resolver, upstreams);
  }

  /** As {@link #serve(Path, String, Resolver)}, forwarding to {@code upstreams} (e.g. from --dns). */
  public AutoCloseable serve(Path netns, String containerId, Resolver resolver, List<InetSocketAddress> upstreams)
      throws IOException {
    if (!running) throw new IllegalStateException("the DNS server is closed");
    DatagramChannel[] udp = new DatagramChannel[1];
    ServerSocketChannel[] tcp = new ServerSocketChannel[1];
    try {
      Namespaces.inNetns(netns, () -> {
        udp[0] = DatagramChannel.open(StandardProtocolFamily.INET);
        udp[0].bind(ADDRESS);
        tcp[0] = ServerSocketChannel.open(StandardProtocolFamily.INET);
        tcp[0].setOption(StandardSocketOptions.SO_REUSEADDR, true);
        tcp[0].bind(ADDRESS, 64);
        return null;
      });
      udp[0].configureBlocking(false);
      tcp[0].configureBlocking(false);
      Endpoint ep = new Endpoint(containerId, resolver, List.copyOf(upstreams), udp[0], tcp[0]);
      onLoop(() -> {
        endpoints.add(ep);
        ep.udp.register(selector, SelectionKey.OP_READ, ep);
        ep.tcp.register(selector, SelectionKey.OP_ACCEPT, ep);
        return null;
      });
      return () -> {
        if (running) onLoop(() -> { closeEndpoint(ep); return null; });
      };
    } catch (Exception e) {
      closeQuietly(udp[0]);
      closeQuietly(tcp[0]);
      if (e instanceof IOException io) throw new IOException("DNS server for container " + containerId + " in " + netns + ": " + io.getMessage(), io);
      if (e instanceof RuntimeException r) throw r;
      throw new IOException("DNS server for container " + containerId + " in " + netns + ": " + e.getMessage(), e);
    }
  }

  /** How many containers are served. */
  public int served() {
    try {
      return onLoop(endpoints::size);
    } catch (IOException e) {
      return 0;
    }
  }

  /** Stops serving every container and ends the thread. */
  @Override
  public void close() {
    running = false;
    selector.wakeup();
    try {
      thread.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---- the loop thread ----

  private <T> T onLoop(java.util.concurrent.Callable<T> task) throws IOException {
    if (Thread.currentThread() == thread) {
      try {
        return task.call();
      } catch (IOException | RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IOException(e);
      }
    }
    CompletableFuture<T> f = new CompletableFuture<>();
    tasks.add(() -> {
      try {
        f.complete(task.call());
      } catch (Throwable t) {
        f.completeExceptionally(t);
      }
    });
    selector.wakeup();
    try {
      for (int i = 0; i < 300; i++) {
        try {
          return f.get(100, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
          if (!thread.isAlive() && !f.isDone()) {
            throw new IllegalStateException("the DNS server is closed");
          }
        }
      }
      throw new TimeoutException();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) throw io;
      if (e.getCause() instanceof RuntimeException r) throw r;
      throw new IOException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } catch (TimeoutException e) {
      throw new IOException("the DNS server thread did not answer in 30 s");
    }
  }

  private void loop() {
    try {
      while (running) {
        long now = System.nanoTime();
        long next = Long.MAX_VALUE;
        for (Forward f : forwards) next = Math.min(next, f.deadline);
        for (Endpoint ep : endpoints) for (TcpConn c : ep.conns) next = Math.min(next, c.deadline);
        long waitMs = next == Long.MAX_VALUE ? 0 : Math.max(1, TimeUnit.NANOSECONDS.toMillis(next - now) + 1);
        selector.select(waitMs);
        Runnable r;
        while ((r = tasks.poll()) != null) r.run();
        for (SelectionKey k : selector.selectedKeys()) {
          try {
            dispatch(k);
          } catch (Throwable t) {
            LOG.log(System.Logger.Level.WARNING, "embedded DNS: " + t, t);
            if (k.attachment() instanceof TcpConn c) c.close();
            else if (k.attachment() instanceof Forward f) f.fail();
          }
        }
        selector.selectedKeys().clear();
        expire(System.nanoTime());
      }
    } catch (Throwable t) {
      LOG.log(System.Logger.Level.ERROR, "embedded DNS server stopped: " + t, t);
    } finally {
      running = false;
      for (Endpoint ep : List.copyOf(endpoints)) closeEndpoint(ep);
      for (Forward f : List.copyOf(forwards)) f.closeChannel();
      forwards.clear();
      try {
        selector.selectNow(); // deregisters, and so really closes, the channels closed above
        selector.close();
      } catch (IOException e) {
        // closing anyway
      }
      Runnable r;
      while ((r = tasks.poll()) != null) r.run();
    }
  }

  private void dispatch(SelectionKey k) throws IOException {
    if (!k.isValid()) return;
    Object a = k.attachment();
    if (a instanceof Endpoint ep) {
      if (k.channel() == ep.udp) readUdp(ep);
      else acceptTcp(ep);
    } else if (a instanceof TcpConn c) {
      if (k.isReadable()) c.read();
      if (k.isValid() && k.isWritable()) c.flush();
    } else if (a instanceof Forward f) {
      f.ready(k);
    }
  }

  private void expire(long now) {
    for (Forward f : List.copyOf(forwards)) {
      if (now - f.deadline >= 0) f.timedOut();
    }
    for (Endpoint ep : endpoints) {
      for (TcpConn c : List.copyOf(ep.conns)) {
        if (now - c.deadline >= 0) c.close();
      }
    }
  }

  private void closeEndpoint(Endpoint ep) {
    if (!endpoints.remove(ep)) return;
    for (TcpConn c : List.copyOf(ep.conns)) c.close();
    for (Forward f : List.copyOf(forwards)) {
      if (f.ep == ep) {
        f.closeChannel();
        forwards.remove(f);
      }
    }
    closeQuietly(ep.udp);
    closeQuietly(ep.tcp);
    try {
      selector.selectNow(); // the kernel sockets are released once their keys are deregistered
      for (SelectionKey k : selector.selectedKeys()) {
        try {
          dispatch(k);
        } catch (Throwable t) {
          LOG.log(System.Logger.Level.DEBUG, "embedded DNS: " + t);
        }
      }
      selector.selectedKeys().clear();
    } catch (IOException e) {
      // the selector is going too
    }
  }

  private void readUdp(Endpoint ep) throws IOException {
    for (int i = 0; i < 64; i++) {
      buf.clear();
      SocketAddress from = ep.udp.receive(buf);
      if (from == null) return;
      buf.flip();
      byte[] q = new byte[buf.remaining()];
      buf.get(q);
      handle(ep, q, new Client(ep, from, null));
    }
  }

  private void acceptTcp(Endpoint ep) throws IOException {
    SocketChannel ch;
    while ((ch = ep.tcp.accept()) != null) {
      if (ep.conns.size() >= MAX_TCP_PER_CONTAINER) {
        ch.close();
        continue;
      }
      ch.configureBlocking(false);
      TcpConn c = new TcpConn(ep, ch);
      ep.conns.add(c);
      ch.register(selector, SelectionKey.OP_READ, c);
    }
  }

  /** Answers or forwards one query. */
  void handle(Endpoint ep, byte[] q, Client client) {
    int flags = q.length < DnsMessage.HEADER ? 0 : DnsMessage.u16(q, 2);
    if (q.length < DnsMessage.HEADER || (flags & DnsMessage.QR) != 0) { // a runt or a response: dropped
      if (client.conn != null) client.conn.pending = Math.max(0, client.conn.pending - 1);
      return;
    }
    if (((flags >> 11) & 0xF) != 0) {
      client.send(DnsMessage.headerOnlyReply(q, DnsMessage.NOTIMP), -1);
      return;
    }
    if (DnsMessage.u16(q, 4) != 1) {
      client.send(DnsMessage.headerOnlyReply(q, DnsMessage.FORMERR), -1);
      return;
    }
    String name;
    int type, qclass, qend;
    int udpLimit = DnsMessage.UDP_LIMIT;
    try {
      int[] pos = {DnsMessage.HEADER};
      name = DnsMessage.readName(q, q.length, pos);
      if (pos[0] + 4 > q.length) throw new DnsMessage.FormatException("question truncated");
      type = DnsMessage.u16(q, pos[0]);
      qclass = DnsMessage.u16(q, pos[0] + 2);
      qend = pos[0] + 4;
      udpLimit = ednsLimit(q);
    } catch (DnsMessage.FormatException e) {
      client.send(DnsMessage.headerOnlyReply(q, DnsMessage.FORMERR), -1);
      return;
    }
    String n = DnsMessage.normalize(name);
    List<Answer> answers;
    try {
      answers = local(ep, n, type, qclass);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "embedded DNS: resolver failed for " + n + " (container " + ep.containerId + "): " + e, e);
      client.send(DnsMessage.reply(q, qend, DnsMessage.RA, DnsMessage.SERVFAIL, List.of()), qend);
      return;
    }
    if (answers != null) {
      int ra = ep.upstreams.isEmpty() ? 0 : DnsMessage.RA;
      byte[] reply = DnsMessage.reply(q, qend, DnsMessage.AA | ra, DnsMessage.NOERROR, answers);
      if (client.isUdp() && reply.length > udpLimit) reply = DnsMessage.truncate(reply, qend);
      client.send(reply, qend);
      return;
    }
    if (ep.upstreams.isEmpty()) {
      client.send(DnsMessage.reply(q, qend, 0, DnsMessage.REFUSED, List.of()), qend);
      return;
    }
    if (forwards.size() >= MAX_FORWARDS) {
      client.send(DnsMessage.reply(q, qend, DnsMessage.RA, DnsMessage.SERVFAIL, List.of()), qend);
      return;
    }
    new Forward(ep, q, qend, client).next();
  }

  /** berth's own answer (possibly empty: NODATA), or null if the resolver does not know the name. */
  private static List<Answer> local(Endpoint ep, String n, int type, int qclass) {
    List<Answer> answers = null;
    if (qclass == DnsMessage.CLASS_IN || qclass == DnsMessage.TYPE_ANY) {
      if (type == DnsMessage.TYPE_PTR) {
        InetAddress a = DnsMessage.reverseAddress(n);
        Optional<String> target = a == null ? Optional.empty() : ep.resolver.reverse(ep.containerId, a);
        if (target.isPresent()) answers = List.of(Answer.ptr(target.get(), TTL));
      }
      if (answers == null) {
        List<InetAddress> addrs = ep.resolver.lookup(ep.containerId, n);
        if (addrs != null && !addrs.isEmpty()) {
          answers = new ArrayList<>();
          for (InetAddress a : addrs) {
            boolean v4 = a instanceof Inet4Address;
            if ((type == DnsMessage.TYPE_A && v4) || (type == DnsMessage.TYPE_AAAA && a instanceof Inet6Address)
                || type == DnsMessage.TYPE_ANY) {
              answers.add(Answer.of(a, TTL));
            }
          }
        }
      }
    }
    return answers;
  }

  /** The UDP payload size the query's EDNS OPT record offers (512 without one, 4096 at most). */
  private static int ednsLimit(byte[] q) {
    try {
      DnsMessage m = DnsMessage.parse(q);
      for (DnsMessage.Rr r : m.additional()) {
        if (r.type() == DnsMessage.TYPE_OPT) return Math.max(DnsMessage.UDP_LIMIT, Math.min(r.rclass(), 4096));
      }
    } catch (DnsMessage.FormatException e) {
      // the question parsed; a broken additional section only costs the EDNS size
    }
    return DnsMessage.UDP_LIMIT;
  }

  // ---- per container ----

  static final class Endpoint {
    final String containerId;
    final Resolver resolver;
    final List<InetSocketAddress> upstreams;
    final DatagramChannel udp;
    final ServerSocketChannel tcp;
    final Set<TcpConn> conns = new HashSet<>();

    Endpoint(String containerId, Resolver resolver, List<InetSocketAddress> upstreams, DatagramChannel udp,
        ServerSocketChannel tcp) {
      this.containerId = containerId;
      this.resolver = resolver;
      this.upstreams = upstreams;
      this.udp = udp;
      this.tcp = tcp;
    }
  }

  /** Where a reply goes: a UDP peer or a TCP connection. */
  final class Client {
    final Endpoint ep;
    final SocketAddress udpPeer;
    final TcpConn conn;

    Client(Endpoint ep, SocketAddress udpPeer, TcpConn conn) {
      this.ep = ep;
      this.udpPeer = udpPeer;
      this.conn = conn;
    }

    boolean isUdp() {
      return conn == null;
    }

    /** Sends a reply; over UDP one larger than 512 bytes is truncated if {@code qend} is known. */
    void send(byte[] reply, int qend) {
      if (conn != null) {
        conn.write(reply);
        return;
      }
      try {
        if (ep.udp.isOpen()) ep.udp.send(ByteBuffer.wrap(reply), udpPeer);
      } catch (IOException e) {
        LOG.log(System.Logger.Level.DEBUG, "embedded DNS: reply to " + udpPeer + ": " + e);
      }
    }
  }

  /** A client's TCP connection: length-prefixed queries in, replies out, closed when idle. */
  final class TcpConn {
    final Endpoint ep;
    final SocketChannel ch;
    ByteBuffer in = ByteBuffer.allocate(2);
    boolean inBody;
    final ArrayDeque<ByteBuffer> out = new ArrayDeque<>();
    int pending;
    boolean eof;
    long deadline;

    TcpConn(Endpoint ep, SocketChannel ch) {
      this.ep = ep;
      this.ch = ch;
      touch();
    }

    void touch() {
      deadline = System.nanoTime() + TCP_IDLE.toNanos();
    }

    void read() throws IOException {
      touch();
      while (true) {
        int n = ch.read(in);
        if (n < 0) {
          eof = true;
          if (pending == 0 && out.isEmpty()) close();
          else interest();
          return;
        }
        if (in.hasRemaining()) return;
        if (!inBody) {
          int len = ((in.get(0) & 0xFF) << 8) | (in.get(1) & 0xFF);
          if (len < DnsMessage.HEADER) {
            close();
            return;
          }
          in = ByteBuffer.allocate(len);
          inBody = true;
        } else {
          byte[] q = in.array();
          in = ByteBuffer.allocate(2);
          inBody = false;
          pending++;
          handle(ep, q, new Client(ep, null, this));
          if (!ch.isOpen()) return;
        }
      }
    }

    void write(byte[] reply) {
      pending = Math.max(0, pending - 1);
      if (!ch.isOpen()) return;
      ByteBuffer b = ByteBuffer.allocate(reply.length + 2);
      b.put((byte) (reply.length >> 8)).put((byte) reply.length).put(reply).flip();
      out.add(b);
      try {
        flush();
      } catch (IOException e) {
        close();
      }
    }

    void flush() throws IOException {
      touch();
      while (!out.isEmpty()) {
        ByteBuffer b = out.peek();
        ch.write(b);
        if (b.hasRemaining()) break;
        out.poll();
      }
      if (eof && out.isEmpty() && pending == 0) close();
      else interest();
    }

    void interest() {
      SelectionKey k = ch.keyFor(selector);
      if (k != null && k.isValid()) k.interestOps((eof ? 0 : SelectionKey.OP_READ) | (out.isEmpty() ? 0 : SelectionKey.OP_WRITE));
    }

    void close() {
      ep.conns.remove(this);
      closeQuietly(ch);
    }
  }

  /** One query being forwarded: each upstream in turn, over UDP, and over TCP if UDP came back truncated to a TCP client. */
  final class Forward {
    final Endpoint ep;
    final byte[] query;
    final int qend;
    final Client client;
    int nextUpstream;
    InetSocketAddress upstream;
    SelectableChannel ch;
    int id;
    long deadline;
    ByteBuffer tcpOut, tcpIn;
    boolean tcpInBody;

    Forward(Endpoint ep, byte[] query, int qend, Client client) {
      this.ep = ep;
      this.query = query;
      this.qend = qend;
      this.client = client;
    }

    /** Tries the next upstream, or answers SERVFAIL when none is left. */
    void next() {
      closeChannel();
      while (nextUpstream < ep.upstreams.size()) {
        upstream = ep.upstreams.get(nextUpstream++);
        try {
          DatagramChannel d = DatagramChannel.open(upstream.getAddress() instanceof Inet6Address
              ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
          ch = d;
          d.configureBlocking(false);
          d.connect(upstream);
          id = random.nextInt(0x10000);
          byte[] q = query.clone();
          DnsMessage.put16(q, 0, id);
          d.write(ByteBuffer.wrap(q));
          d.register(selector, SelectionKey.OP_READ, this);
          deadline = System.nanoTime() + timeout.toNanos();
          forwards.add(this);
          return;
        } catch (IOException e) {
          LOG.log(System.Logger.Level.DEBUG, "embedded DNS: forward to " + upstream + ": " + e);
          closeChannel();
        }
      }
      forwards.remove(this);
      client.send(DnsMessage.reply(query, qend, DnsMessage.RA, DnsMessage.SERVFAIL, List.of()), qend);
    }

    void timedOut() {
      LOG.log(System.Logger.Level.DEBUG, "embedded DNS: no answer from " + upstream + " in " + timeout);
      next();
    }

    void fail() {
      next();
    }

    void ready(SelectionKey k) throws IOException {
      if (ch instanceof DatagramChannel d) {
        buf.clear();
        int n;
        try {
          n = d.read(buf);
        } catch (IOException e) { // e.g. ICMP port unreachable
          next();
          return;
        }
        if (n < DnsMessage.HEADER) return;
        buf.flip();
        byte[] r = new byte[buf.remaining()];
        buf.get(r);
        if (DnsMessage.u16(r, 0) != id || (DnsMessage.u16(r, 2) & DnsMessage.QR) == 0) return; // not the answer
        if ((DnsMessage.u16(r, 2) & DnsMessage.TC) != 0 && !client.isUdp()) {
          startTcp();
          return;
        }
        answered(r);
      } else if (ch instanceof SocketChannel s) {
        if (k.isConnectable()) {
          if (!s.finishConnect()) return;
          k.interestOps(SelectionKey.OP_WRITE);
        }
        if (k.isWritable()) {
          s.write(tcpOut);
          if (!tcpOut.hasRemaining()) k.interestOps(SelectionKey.OP_READ);
        }
        if (k.isReadable()) {
          int n = s.read(tcpIn);
          if (n < 0) {
            next();
            return;
          }
          if (tcpIn.hasRemaining()) return;
          if (!tcpInBody) {
            int len = ((tcpIn.get(0) & 0xFF) << 8) | (tcpIn.get(1) & 0xFF);
            if (len < DnsMessage.HEADER) {
              next();
              return;
            }
            tcpIn = ByteBuffer.allocate(len);
            tcpInBody = true;
            return;
          }
          byte[] r = tcpIn.array();
          if (DnsMessage.u16(r, 0) != id) {
            next();
            return;
          }
          answered(r);
        }
      }
    }

    private void startTcp() throws IOException {
      closeChannel();
      SocketChannel s = SocketChannel.open(upstream.getAddress() instanceof Inet6Address
          ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
      ch = s;
      s.configureBlocking(false);
      byte[] q = query.clone();
      DnsMessage.put16(q, 0, id);
      tcpOut = ByteBuffer.allocate(q.length + 2);
      tcpOut.put((byte) (q.length >> 8)).put((byte) q.length).put(q).flip();
      tcpIn = ByteBuffer.allocate(2);
      tcpInBody = false;
      boolean connected = s.connect(upstream);
      s.register(selector, connected ? SelectionKey.OP_WRITE : SelectionKey.OP_CONNECT, this);
      deadline = System.nanoTime() + timeout.toNanos();
    }

    private void answered(byte[] r) {
      int rcode = DnsMessage.u16(r, 2) & 0xF;
      if ((rcode == DnsMessage.SERVFAIL || rcode == DnsMessage.REFUSED) && nextUpstream < ep.upstreams.size()) {
        next();
        return;
      }
      closeChannel();
      forwards.remove(this);
      DnsMessage.put16(r, 0, DnsMessage.u16(query, 0));
      client.send(r, qend);
    }

    void closeChannel() {
      if (ch != null) {
        closeQuietly(ch);
        ch = null;
      }
    }
  }

  private static void closeQuietly(java.nio.channels.Channel c) {
    if (c == null) return;
    try {
      c.close();
    } catch (IOException e) {
      // nothing to do
    }
  }

  private static InetAddress loopback11() {
    try {
      return InetAddress.getByAddress(new byte[] {127, 0, 0, 11});
    } catch (java.net.UnknownHostException e) {
      throw new UncheckedIOException(e);
    }
  }
}
