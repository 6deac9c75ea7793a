package dev.berth.api.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SocketListenerTest {
    @TempDir Path tmp;

    @Test
    void aStaleSocketIsRemoved() throws Exception {
        Path sock = tmp.resolve("s.sock");
        try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            s.bind(UnixDomainSocketAddress.of(sock));
        } // closed: the file stays, nobody listens
        assertThat(sock).exists();
        SocketListener.removeStale(sock);
        assertThat(sock).doesNotExist();
    }

    @Test
    void aLiveSocketIsRefused() throws Exception {
        Path sock = tmp.resolve("s.sock");
        try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            s.bind(UnixDomainSocketAddress.of(sock));
            assertThatThrownBy(() -> SocketListener.removeStale(sock)).isInstanceOf(SocketListener.Refused.class)
                    .hasMessageContaining("another daemon answers on " + sock);
            assertThat(sock).exists();
        }
    }

    @Test
    void somethingElseAtThePathIsRefusedAndLeft() throws Exception {
        Path file = Files.writeString(tmp.resolve("f.sock"), "data");
        assertThatThrownBy(() -> SocketListener.removeStale(file)).hasMessageContaining("exists and is not a socket");
        assertThat(Files.readString(file)).isEqualTo("data");
        Path dir = Files.createDirectory(tmp.resolve("d.sock"));
        assertThatThrownBy(() -> SocketListener.removeStale(dir)).hasMessageContaining("exists and is not a socket");
    }
}
