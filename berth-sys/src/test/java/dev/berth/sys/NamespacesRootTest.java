package dev.berth.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Namespaces.inNetns against a network namespace this test makes (ip netns add, a unique name). */
@Tag("root")
class NamespacesRootTest {
  @Test
  void runsInTheNamespaceAndLeavesTheCallerWhereItWas() throws Exception {
    String ns = "berth-sys-" + ProcessHandle.current().pid() + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt());
    run("ip", "netns", "add", ns);
    try {
      Path path = Path.of("/run/netns", ns);
      String host = Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
      String inside = Namespaces.inNetns(path, () -> Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString());
      assertThat(inside).isNotEqualTo(host).startsWith("net:[");
      assertThat(Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString()).isEqualTo(host);
      // a socket made inside stays there: its port on 127.0.0.1 is still free on the host's loopback
      run("ip", "-n", ns, "link", "set", "lo", "up");
      try (var inner = Namespaces.inNetns(path, () -> java.nio.channels.DatagramChannel.open(java.net.StandardProtocolFamily.INET)
          .bind(new java.net.InetSocketAddress("127.0.0.1", 0)));
          var outer = java.nio.channels.DatagramChannel.open(java.net.StandardProtocolFamily.INET)) {
        int port = ((java.net.InetSocketAddress) inner.getLocalAddress()).getPort();
        outer.bind(new java.net.InetSocketAddress("127.0.0.1", port));
        try (var third = java.nio.channels.DatagramChannel.open(java.net.StandardProtocolFamily.INET)) {
          assertThatThrownBy(() -> third.bind(new java.net.InetSocketAddress("127.0.0.1", port)))
              .isInstanceOf(java.net.BindException.class); // on the host it is taken, by outer
        }
      }
      assertThatThrownBy(() -> Namespaces.inNetns(path, () -> { throw new java.io.IOException("boom"); }))
          .isInstanceOf(java.io.IOException.class).hasMessage("boom");
    } finally {
      run("ip", "netns", "del", ns);
    }
    assertThatThrownBy(() -> Namespaces.inNetns(Path.of("/run/netns/berth-no-such"), () -> 1))
        .isInstanceOf(SyscallException.class).hasMessageContaining("/run/netns/berth-no-such");
    assertThatThrownBy(() -> Namespaces.inNetns(Path.of("/proc/self/ns/uts"), () -> 1))
        .isInstanceOf(SyscallException.class).hasMessageContaining("setns").hasMessageContaining("/proc/self/ns/uts");
  }

  static void run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) throw new IllegalStateException(String.join(" ", cmd) + ": " + out);
  }
}
