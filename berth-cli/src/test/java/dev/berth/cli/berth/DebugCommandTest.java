package dev.berth.cli.berth;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/berth debug's command line and its client side against a stand-in for berthd on a unix
 * socket (the whole path against a real berthd: berth-api's DebugIT, which runs bin/berth debug).
 */
class DebugCommandTest {
  @TempDir Path tmp;

  record Result(int code, String out, String err) {}

  static Result run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
    int code = BerthMain.run(args, new PrintStream(out, true), new PrintStream(err, true));
    return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void noBerthdIsAClearError() {
    Result r = run("debug", "-H", "unix://" + tmp.resolve("none.sock"), "c1");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("cannot reach berthd: no socket at " + tmp.resolve("none.sock"));
  }

  @Test
  void missingContainerIsAUsageError() {
    Result r = run("debug");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("CONTAINER");
  }

  @Test
  void onlyUnixSockets() {
    Result r = run("debug", "-H", "tcp://127.0.0.1:2375", "c1");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("only unix:// sockets");
  }

  /** The request berthd gets (path, body with the command after --, options before the container), and its 404 as exit 3. */
  @Test
  void sendsTheDebugRequestAndReportsARefusal() throws Exception {
    Path sock = tmp.resolve("d.sock");
    List<String> seen = new ArrayList<>();
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(sock));
      Thread t = Thread.ofPlatform().daemon().start(() -> {
        try (SocketChannel c = server.accept()) {
          ByteBuffer b = ByteBuffer.allocate(65536);
          String req = "";
          while (!req.contains("\r\n\r\n") || !req.endsWith("}")) {
            if (c.read(b) < 0) break;
            req = new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
          }
          seen.add(req);
          byte[] body = "{\"message\":\"No such image: tools:9 (the tools image of berth debug)\"}".getBytes(StandardCharsets.UTF_8);
          String resp = "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n";
          c.write(ByteBuffer.wrap(resp.getBytes(StandardCharsets.US_ASCII)));
          c.write(ByteBuffer.wrap(body));
        } catch (Exception e) {
          seen.add("server failed: " + e);
        }
      });
      Result r = run("debug", "-H", "unix://" + sock, "--image", "tools:9", "-T", "web", "--", "ps", "-ef");
      t.join(10_000);
      assertThat(r.code()).as(r.err()).isEqualTo(3);
      assertThat(r.err()).contains("berth: debug web: No such image: tools:9");
    }
    assertThat(seen).hasSize(1);
    assertThat(seen.getFirst()).startsWith("POST /containers/web/debug HTTP/1.1\r\n")
        .contains("\"Image\":\"tools:9\"").contains("\"Cmd\":[\"ps\",\"-ef\"]").contains("\"Tty\":false");
  }
}
