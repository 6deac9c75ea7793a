package dev.berth.cli.berth;

import dev.berth.image.api.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The small HTTP/1.1 client of the bin/berth commands that talk to berthd ({@code debug},
 * {@code network}): its unix socket from {@code -H}, {@code $BERTHD_HOST} or
 * /run/berth/berth.sock, one request per connection, and berthd's refusals as {@link Refused}.
 */
final class BerthdClient {
    private BerthdClient() {}

    /** A refusal by berthd: its status and message. */
    static final class Refused extends RuntimeException {
        final int status;
        Refused(int status, String message) { super(message); this.status = status; }
    }

    /** An answer: status and body. */
    record Response(int status, byte[] body) {
        String text() { return new String(body, StandardCharsets.UTF_8); }
    }

    /** berthd's socket: {@code host} ({@code unix:///PATH}), else $BERTHD_HOST, else /run/berth/berth.sock. */
    static Path socket(String host) {
        String h = host != null ? host : System.getenv("BERTHD_HOST");
        if (h == null || h.isEmpty()) h = "unix:///run/berth/berth.sock";
        if (!h.startsWith("unix://")) throw new IllegalArgumentException("--host " + h + ": only unix:// sockets are supported");
        return Path.of(h.substring("unix://".length()));
    }

    /** berthd's message in a refusal (the Docker API's {"message": ...}), or the status and body. */
    static Refused refused(Response r) {
        String msg;
        try { msg = Json.MAPPER.readTree(r.body()).path("message").asText(""); } catch (IOException e) { msg = ""; }
        if (msg.isEmpty()) msg = "berthd answered " + r.status() + ": " + r.text().strip();
        return new Refused(r.status(), msg);
    }

    /** One HTTP/1.1 request on a fresh connection (Connection: close). */
    static Response request(Path sock, String method, String path, byte[] body) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(sock));
            StringBuilder h = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: berth\r\nConnection: close\r\n");
            if (body != null) h.append("Content-Type: application/json\r\nContent-Length: ").append(body.length).append("\r\n");
            h.append("\r\n");
            writeAll(ch, h.toString().getBytes(StandardCharsets.US_ASCII));
            if (body != null) writeAll(ch, body);
            InputStream in = Channels.newInputStream(ch);
            String status = readLine(in);
            if (status.length() < 12) throw new IOException("berthd: no HTTP answer to " + method + " " + path);
            List<String> headers = new ArrayList<>();
            for (String l; !(l = readLine(in)).isEmpty(); ) headers.add(l);
            return new Response(Integer.parseInt(status.substring(9, 12)), readBody(in, headers));
        }
    }

    static byte[] readBody(InputStream in, List<String> headers) throws IOException {
        long length = -1;
        boolean chunked = false;
        for (String l : headers) {
            String k = l.toLowerCase(Locale.ROOT);
            if (k.startsWith("content-length:")) length = Long.parseLong(l.substring(15).strip());
            if (k.startsWith("transfer-encoding:") && k.contains("chunked")) chunked = true;
        }
        if (chunked) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            while (true) {
                String line = readLine(in);
                int semi = line.indexOf(';');
                int n = Integer.parseInt((semi < 0 ? line : line.substring(0, semi)).strip(), 16);
                if (n == 0) break;
                byte[] d = new byte[n];
                if (!readFully(in, d, n)) break;
                b.write(d);
                readLine(in);
            }
            return b.toByteArray();
        }
        if (length >= 0) {
            byte[] d = new byte[(int) length];
            readFully(in, d, (int) length);
            return d;
        }
        return in.readAllBytes();
    }

    static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') if (c != '\r') sb.append((char) c);
        return sb.toString();
    }

    static boolean readFully(InputStream in, byte[] b, int len) throws IOException {
        int off = 0;
        while (off < len) {
            int n = in.read(b, off, len - off);
            if (n < 0) return false;
            off += n;
        }
        return true;
    }

    static void writeAll(SocketChannel ch, byte[] b) throws IOException {
        ByteBuffer bb = ByteBuffer.wrap(b);
        while (bb.hasRemaining()) ch.write(bb);
    }
}
