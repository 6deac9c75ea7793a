package dev.berth.api.networks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.TestBerthd;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Published ports through the docker CLI: a busybox httpd in a container answers on a loopback host
 * port (kernel DNAT in this berthd's own nftables table), `docker port` and inspect show Docker's
 * shapes, -P picks ephemeral ports, a taken port is refused naming it, and removal leaves no
 * element in the table.
 */
class PortsIT {
  static TestBerthd d;

  @BeforeAll
  static void start() throws Exception {
    d = TestBerthd.start("ports");
  }

  @AfterAll
  static void stop() throws Exception {
    if (d == null) return;
    for (String id : d.docker("ps", "-aq").out().split("\\s+")) if (!id.isBlank()) d.docker("rm", "-f", id);
    d.close();
  }

  static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static String get(int port) throws Exception {
    HttpClient c = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    Exception last = null;
    for (int i = 0; i < 50; i++) { // httpd may not listen yet
      try {
        return c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/index.html")).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString()).body();
      } catch (java.io.IOException e) {
        last = e;
        Thread.sleep(200);
      }
    }
    throw last;
  }

  static String nftMap() throws Exception {
    Process p = new ProcessBuilder("nft", "list", "map", "inet", d.net().nftTable(), "pub4").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    p.waitFor(30, TimeUnit.SECONDS);
    return out;
  }

  @Test
  void publishedPortAnswersOnLoopbackAndIsReportedAsDocker() throws Exception {
    Path www = d.tmp().resolve("www");
    Files.createDirectories(www);
    Files.writeString(www.resolve("index.html"), "hello from berth\n");
    int port = freePort();
    String id = d.docker("run", "-d", "-p", "127.0.0.1:" + port + ":80", "-p", "8080", "--expose", "9090", "-v", www + ":/www:ro",
        TestBerthd.IMAGE, "httpd", "-f", "-p", "80", "-h", "/www").ok().out().strip();
    assertThat(get(port)).isEqualTo("hello from berth\n");
    String ports = d.docker("port", id).ok().out();
    assertThat(ports).contains("80/tcp -> 127.0.0.1:" + port).containsPattern("8080/tcp -> 0\\.0\\.0\\.0:\\d+");
    assertThat(d.docker("port", id, "80").ok().out().strip()).isEqualTo("127.0.0.1:" + port);
    assertThat(d.docker("inspect", "-f", "{{json .NetworkSettings.Ports}}", id).ok().out())
        .contains("\"80/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"" + port + "\"}]").contains("\"9090/tcp\":null");
    assertThat(d.docker("inspect", "-f", "{{json .HostConfig.PortBindings}}", id).ok().out())
        .contains("\"80/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"" + port + "\"}]");
    assertThat(d.docker("ps", "--format", "{{.Ports}}").ok().out()).contains("127.0.0.1:" + port + "->80/tcp");
    assertThat(nftMap()).contains(id);
    // the same host port again: refused naming it, the container is left created, nothing published
    d.docker("create", "--name", "clash", "-p", "127.0.0.1:" + port + ":80", TestBerthd.IMAGE, "sleep", "100").ok();
    TestBerthd.Ran clash = d.docker("start", "clash");
    assertThat(clash.code()).isNotZero();
    assertThat(clash.err()).contains("Bind for 127.0.0.1:" + port + " failed: port is already allocated");
    assertThat(Files.list(d.tmp().resolve("run/netns")).toList()).hasSize(1);
    d.docker("rm", "-f", "clash").ok();
    // -P publishes every exposed port on an ephemeral one
    String all = d.docker("run", "-d", "-P", "--expose", "7070", TestBerthd.IMAGE, "sleep", "300").ok().out().strip();
    assertThat(d.docker("port", all).ok().out()).containsPattern("7070/tcp -> 0\\.0\\.0\\.0:\\d+");
    d.docker("rm", "-f", id, all).ok();
    assertThat(nftMap()).doesNotContain(id).doesNotContain(all);
    // the port is free again for anyone
    try (ServerSocket s = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
      assertThat(s.getLocalPort()).isEqualTo(port);
    }
  }
}
