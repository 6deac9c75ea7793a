package dev.berth.image.registry;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A TCP proxy in front of the registry that breaks one download: once a request for
 * {@code trigger} passes, the connection is closed after {@code cutAfter} response bytes. Records
 * whether a later request carried a Range header (resumed download).
 */
final class CuttingProxy implements AutoCloseable {
    private final ServerSocket server;
    final AtomicBoolean cut = new AtomicBoolean();
    final AtomicBoolean sawRange = new AtomicBoolean();

    private final boolean corrupt;

    CuttingProxy(int targetPort, String trigger, long cutAfter) throws IOException { this(targetPort, trigger, cutAfter, false); }

    /** With {@code corrupt}, flips one byte instead of cutting (every time: retries see it too). */
    CuttingProxy(int targetPort, String trigger, long cutAfter, boolean corrupt) throws IOException {
        this.corrupt = corrupt;
        server = new ServerSocket();
        server.bind(new InetSocketAddress("127.0.0.1", 0));
        Thread.ofVirtual().start(() -> {
            while (!server.isClosed()) {
                try {
                    Socket c = server.accept();
                    Socket s = new Socket("127.0.0.1", targetPort);
                    long[] armedAt = {-1};
                    long[] fromServer = {0};
                    Thread.ofVirtual().start(() -> pump(c, s, chunk -> {
                        String t = new String(chunk, StandardCharsets.ISO_8859_1);
                        if (t.contains("GET ") && t.contains(trigger) && (corrupt || !cut.get())) armedAt[0] = fromServer[0];
                        if (t.contains(trigger) && t.toLowerCase().contains("range: bytes=")) sawRange.set(true);
                        return true;
                    }));
                    Thread.ofVirtual().start(() -> pump(s, c, chunk -> {
                        fromServer[0] += chunk.length;
                        if (this.corrupt) {
                            if (armedAt[0] >= 0 && fromServer[0] - armedAt[0] > cutAfter) {
                                chunk[chunk.length / 2] ^= 0x5a;
                                armedAt[0] = -1;
                                cut.set(true);
                            }
                            return true;
                        }
                        if (armedAt[0] >= 0 && fromServer[0] - armedAt[0] > cutAfter && cut.compareAndSet(false, true)) return false;
                        return true;
                    }));
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    int port() { return server.getLocalPort(); }

    private interface Chunk { boolean pass(byte[] b); }

    private static void pump(Socket from, Socket to, Chunk check) {
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            byte[] buf = new byte[16384];
            int n;
            while ((n = in.read(buf)) > 0) {
                byte[] b = java.util.Arrays.copyOf(buf, n);
                if (!check.pass(b)) break;
                out.write(b);
                out.flush();
            }
        } catch (IOException ignored) {
        } finally {
            try { from.close(); } catch (IOException ignored) {}
            try { to.close(); } catch (IOException ignored) {}
        }
    }

    @Override public void close() throws IOException { server.close(); }
}
