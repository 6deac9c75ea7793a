package dev.berth.cli.berth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.cli.berth.NetworkCommand.Call;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.URLDecoder;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * bin/berth network: each command line → the request berthd gets (method, path, JSON body), and
 * the client side against a stand-in for berthd on a unix socket (output, refusals, exit codes).
 * The whole path against a real berthd: berth-api's NetworkCliIT.
 */
class NetworkCommandTest {
  @TempDir Path tmp;

  record Result(int code, String out, String err) {}

  static Result run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
    int code = BerthMain.run(args, new PrintStream(out, true), new PrintStream(err, true));
    return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** The subcommand object picocli filled from {@code args} (after "network"). */
  @SuppressWarnings("unchecked")
  static <T> T parse(String... args) {
    CommandLine cl = new CommandLine(new NetworkCommand());
    return (T) cl.parseArgs(args).subcommand().commandSpec().userObject();
  }

  @Test
  void createMapsEveryFlag() {
    NetworkCommand.Create c = parse("create", "--driver", "bridge", "--subnet", "10.9.0.0/24", "--gateway", "10.9.0.254",
        "--ip-range", "10.9.0.128/25", "--subnet", "fd00:9::/64", "--internal", "--ipv6", "--label", "a=b", "--label", "flag",
        "-o", "com.docker.network.driver.mtu=1400", "net1");
    Call r = c.request();
    assertThat(r.method()).isEqualTo("POST");
    assertThat(r.path()).isEqualTo("/networks/create");
    assertThat(r.body().toString()).isEqualTo("{\"Name\":\"net1\",\"CheckDuplicate\":true,\"Driver\":\"bridge\",\"Internal\":true,\"EnableIPv6\":true,"
        + "\"IPAM\":{\"Driver\":\"default\",\"Config\":[{\"Subnet\":\"10.9.0.0/24\",\"IPRange\":\"10.9.0.128/25\",\"Gateway\":\"10.9.0.254\"},"
        + "{\"Subnet\":\"fd00:9::/64\"}]},\"Options\":{\"com.docker.network.driver.mtu\":\"1400\"},\"Labels\":{\"a\":\"b\",\"flag\":\"\"}}");
    // the defaults: bridge, no IPAM config (berthd picks from its pool), not internal, no IPv6
    Call d = ((NetworkCommand.Create) parse("create", "n")).request();
    assertThat(d.body().path("Driver").asText()).isEqualTo("bridge");
    assertThat(d.body().at("/IPAM/Config")).isEmpty();
    assertThat(d.body().path("Internal").asBoolean()).isFalse();
  }

  @Test
  void aGatewayWithoutASubnetIsRefusedBeforeAnyRequest() {
    Result r = run("network", "create", "-H", "unix://" + tmp.resolve("none.sock"), "--gateway", "10.9.0.1", "n");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("every --gateway needs a --subnet");
  }

  @Test
  void connectDisconnectLsInspectRmPrune() {
    Call c = ((NetworkCommand.Connect) parse("connect", "--alias", "db", "--alias", "pg", "--ip", "10.9.0.7", "net 1", "web")).request();
    assertThat(c.method()).isEqualTo("POST");
    assertThat(c.path()).isEqualTo("/networks/net+1/connect");
    assertThat(c.body().toString()).isEqualTo("{\"Container\":\"web\",\"EndpointConfig\":{\"Aliases\":[\"db\",\"pg\"],\"IPAMConfig\":{\"IPv4Address\":\"10.9.0.7\"}}}");
    Call d = ((NetworkCommand.Disconnect) parse("disconnect", "-f", "net1", "web")).request();
    assertThat(d.path()).isEqualTo("/networks/net1/disconnect");
    assertThat(d.body().toString()).isEqualTo("{\"Container\":\"web\",\"Force\":true}");
    Call l = ((NetworkCommand.Ls) parse("ls", "--filter", "driver=bridge", "-f", "label=a", "-f", "label=b")).request();
    assertThat(l.method()).isEqualTo("GET");
    assertThat(URLDecoder.decode(l.path(), StandardCharsets.UTF_8)).isEqualTo("/networks?filters={\"driver\":[\"bridge\"],\"label\":[\"a\",\"b\"]}");
    assertThat(((NetworkCommand.Ls) parse("ls")).request().path()).isEqualTo("/networks");
    List<Call> i = ((NetworkCommand.Inspect) parse("inspect", "a", "b")).requests();
    assertThat(i).containsExactly(new Call("GET", "/networks/a", null), new Call("GET", "/networks/b", null));
    assertThat(((NetworkCommand.Rm) parse("rm", "a")).requests()).containsExactly(new Call("DELETE", "/networks/a", null));
    assertThat(((NetworkCommand.Prune) parse("prune", "-f", "--filter", "label=x")).request().path()).startsWith("/networks/prune?filters=");
  }

  @Test
  void usageErrors() {
    assertThat(run("network").code()).isEqualTo(2);
    Result r = run("network", "connect", "net1");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("CONTAINER");
    assertThat(run("network", "ls", "-H", "tcp://127.0.0.1:2375").err()).contains("only unix:// sockets");
  }

  @Test
  void noBerthdIsAClearError() {
    Result r = run("network", "ls", "-H", "unix://" + tmp.resolve("none.sock"));
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).isEqualTo("berth: cannot connect to berthd at " + tmp.resolve("none.sock")
        + " (is berthd running? -H unix:///PATH or $BERTHD_HOST)\n");
  }

  /** A stand-in berthd answering each connection with the next of {@code answers}; the requests it saw. */
  List<String> serve(Path sock, String... answers) throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(sock));
    Thread.ofPlatform().daemon().start(() -> {
      try (server) {
        for (String a : answers) {
          try (SocketChannel c = server.accept()) {
            ByteBuffer b = ByteBuffer.allocate(65536);
            String req = "";
            while (!req.contains("\r\n\r\n") || (req.contains("Content-Length") && !req.endsWith("}"))) {
              if (c.read(b) < 0) break;
              req = new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
            }
            seen.add(req);
            int sp = a.indexOf(' ');
            byte[] body = a.substring(sp + 1).getBytes(StandardCharsets.UTF_8);
            String head = "HTTP/1.1 " + a.substring(0, sp) + " X\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n";
            c.write(ByteBuffer.wrap(head.getBytes(StandardCharsets.US_ASCII)));
            c.write(ByteBuffer.wrap(body));
          }
        }
      } catch (Exception e) {
        seen.add("server failed: " + e);
      }
    });
    return seen;
  }

  @Test
  void lsPrintsDockersColumnsSortedByName() throws Exception {
    Path sock = tmp.resolve("b.sock");
    serve(sock, "200 [{\"Id\":\"" + "f".repeat(64) + "\",\"Name\":\"zeta\",\"Driver\":\"bridge\",\"Scope\":\"local\"},"
        + "{\"Id\":\"" + "a".repeat(64) + "\",\"Name\":\"host\",\"Driver\":\"host\",\"Scope\":\"local\"}]");
    Result r = run("network", "ls", "-H", "unix://" + sock);
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("NETWORK ID     NAME   DRIVER   SCOPE\n"
        + "aaaaaaaaaaaa   host   host     local\n"
        + "ffffffffffff   zeta   bridge   local\n");
  }

  @Test
  void refusalsAreBerthdsMessageWithTheirExitCodes() throws Exception {
    Path sock = tmp.resolve("r.sock");
    List<String> seen = serve(sock, "409 {\"message\":\"network with name n1 already exists\"}",
        "404 {\"message\":\"network nope not found\"}",
        "204 ", "404 {\"message\":\"network gone not found\"}");
    Result r = run("network", "create", "-H", "unix://" + sock, "n1");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).isEqualTo("berth: network with name n1 already exists\n");
    assertThat(seen.getFirst()).startsWith("POST /networks/create HTTP/1.1").contains("\"Name\":\"n1\"");
    r = run("network", "connect", "-H", "unix://" + sock, "nope", "web");
    assertThat(r.code()).isEqualTo(3);
    assertThat(r.err()).isEqualTo("berth: network nope not found\n");
    r = run("network", "rm", "-H", "unix://" + sock, "n1", "gone");
    assertThat(r.code()).isEqualTo(3);
    assertThat(r.out()).isEqualTo("n1\n");
    assertThat(r.err()).isEqualTo("berth: network gone not found\n");
    assertThat(seen.get(3)).startsWith("DELETE /networks/gone HTTP/1.1");
  }
}
