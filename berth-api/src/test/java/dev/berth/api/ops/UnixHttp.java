package dev.berth.api.ops;

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
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Raw HTTP/1.1 over berthd's unix socket, one connection per request ({@code Connection: close}),
 * for tests that need many clients at once without a docker CLI process each. Reads
 * Content-Length and chunked bodies; a body of an unending stream is not for this class.
 */
public final class UnixHttp {
  private final Path socket;

  public UnixHttp(Path socket) { this.socket = socket; }

  public record Response(int status, Map<String, String> headers, byte[] body) {
    public String text() { return new String(body, StandardCharsets.UTF_8); }
  }

  public Response get(String path) throws IOException { return request("GET", path, null); }

  public Response post(String path, String json) throws IOException { return request("POST", path, json); }

  public Response delete(String path) throws IOException { return request("DELETE", path, null); }

  public Response request(String method, String path, String json) throws IOException {
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(socket));
      byte[] body = json == null ? new byte[0] : json.getBytes(StandardCharsets.UTF_8);
      StringBuilder h = new StringBuilder();
      h.append(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: berthd\r\nUser-Agent: berth-tests\r\nConnection: close\r\n");
      if (json != null) h.append("Content-Type: application/json\r\n");
      if (json != null || method.equals("POST")) h.append("Content-Length: ").append(body.length).append("\r\n");
      h.append("\r\n");
      ByteBuffer out = ByteBuffer.allocate(h.length() + body.length);
      out.put(h.toString().getBytes(StandardCharsets.US_ASCII)).put(body).flip();
      while (out.hasRemaining()) ch.write(out);
      InputStream in = Channels.newInputStream(ch);
      String status = line(in);
      if (status == null || !status.startsWith("HTTP/1.")) throw new IOException("not an HTTP response: " + status);
      int code = Integer.parseInt(status.split(" ")[1]);
      Map<String, String> headers = new LinkedHashMap<>();
      for (String l; (l = line(in)) != null && !l.isEmpty(); ) {
        int c = l.indexOf(':');
        if (c > 0) headers.put(l.substring(0, c).trim().toLowerCase(Locale.ROOT), l.substring(c + 1).trim());
      }
      byte[] b;
      if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (;;) {
          String size = line(in);
          if (size == null) break;
          int n = Integer.parseInt(size.split(";")[0].trim(), 16);
          if (n == 0) break;
          all.write(in.readNBytes(n));
          line(in);
        }
        b = all.toByteArray();
      } else if (headers.containsKey("content-length")) {
        b = in.readNBytes(Integer.parseInt(headers.get("content-length")));
      } else {
        b = code == 204 || code == 304 ? new byte[0] : in.readAllBytes();
      }
      return new Response(code, headers, b);
    }
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (int c; (c = in.read()) >= 0; ) {
      if (c == '\n') {
        byte[] x = b.toByteArray();
        int n = x.length > 0 && x[x.length - 1] == '\r' ? x.length - 1 : x.length;
        return new String(x, 0, n, StandardCharsets.ISO_8859_1);
      }
      b.write(c);
    }
    return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
  }
}
