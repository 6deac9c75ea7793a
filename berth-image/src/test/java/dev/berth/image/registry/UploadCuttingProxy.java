package dev.berth.image.registry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy in front of the registry that reads the requests going through (HTTP/1.1 with
 * Content-Length bodies, as the client sends them), records each request line, and breaks one
 * upload: the connection carrying the {@code cutPatch}-th PATCH is closed after {@code cutAfter}
 * bytes of its body have reached the registry (0: right after its headers).
 */
final class UploadCuttingProxy implements AutoCloseable {
    private final ServerSocket server;
    final ConcurrentLinkedQueue<String> requests = new ConcurrentLinkedQueue<>();
    final AtomicBoolean cut = new AtomicBoolean();
    private final AtomicInteger patches = new AtomicInteger();

    UploadCuttingProxy(int targetPort, int cutPatch, long cutAfter) throws IOException {
        server = new ServerSocket();
        server.bind(new InetSocketAddress("127.0.0.1", 0));
        Thread.ofVirtual().start(() -> {
            while (!server.isClosed()) {
                try {
                    Socket c = server.accept();
                    Socket s = new Socket("127.0.0.1", targetPort);
                    Thread.ofVirtual().start(() -> requests(c, s, cutPatch, cutAfter));
                    Thread.ofVirtual().start(() -> pump(s, c));
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    int port() { return server.getLocalPort(); }

    long count(String prefix) { return requests.stream().filter(r -> r.startsWith(prefix)).count(); }

    private void requests(Socket from, Socket to, int cutPatch, long cutAfter) {
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            while (true) {
                ByteArrayOutputStream head = new ByteArrayOutputStream();
                int state = 0, b;
                while (state < 4 && (b = in.read()) >= 0) {   // up to the blank line
                    head.write(b);
                    state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1 : b == '\r' ? 1 : 0;
                }
                if (state < 4) return;
                String h = head.toString(StandardCharsets.ISO_8859_1);
                String line = h.substring(0, h.indexOf('\r'));
                requests.add(line);
                long length = 0;
                for (String l : h.split("\r\n")) {
                    if (l.toLowerCase(Locale.ROOT).startsWith("content-length:")) length = Long.parseLong(l.substring(15).trim());
                }
                boolean cutThis = line.startsWith("PATCH ") && patches.incrementAndGet() == cutPatch;
                out.write(head.toByteArray());
                out.flush();
                long sent = 0;
                byte[] buf = new byte[16384];
                while (sent < length) {
                    if (cutThis && sent >= cutAfter) { cut.set(true); return; }
                    int want = (int) Math.min(buf.length, length - sent);
                    if (cutThis) want = (int) Math.min(want, Math.max(1, cutAfter - sent));
                    int n = in.read(buf, 0, want);
                    if (n < 0) return;
                    out.write(buf, 0, n);
                    out.flush();
                    sent += n;
                }
                if (cutThis && sent >= cutAfter) {
                    cut.set(true);
                    return;
                }
            }
        } catch (IOException ignored) {
        } finally {
            close(from);
            close(to);
        }
    }

    private static void pump(Socket from, Socket to) {
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            in.transferTo(out);
        } catch (IOException ignored) {
        } finally {
            close(from);
            close(to);
        }
    }

    private static void close(Socket s) {
        try { s.close(); } catch (IOException ignored) {}
    }

    @Override public void close() throws IOException { server.close(); }
}
