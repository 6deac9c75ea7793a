package dev.berth.api.exec;

import dev.berth.api.BuildInfo;
import dev.berth.api.http.ApiRequest;
import dev.berth.api.http.ApiVersion;
import dev.berth.engine.exec.ExecService;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.BiFunction;

/**
 * The hijacked connection of an attached exec, as dockerd does it: the request is answered with
 * {@code 101 UPGRADED} (Upgrade: tcp) when the client asked for the upgrade, else {@code 200} with
 * the stream as body; then the HTTP handlers leave the pipeline and the connection carries the
 * process's output (8-byte-header frames, stream 1 stdout / 2 stderr, without a terminal; raw
 * bytes with one) and the client's bytes as its stdin; the client's half-close is end of file on
 * stdin. The connection is closed once the process has ended and all its output is written.
 */
final class ExecStream {
  private ExecStream() {}

  static final String RAW = "application/vnd.docker.raw-stream";
  static final String MULTIPLEXED = "application/vnd.docker.multiplexed-stream";
  private static final byte[] EOF = new byte[0];

  static void run(ChannelHandlerContext ctx, ApiRequest req, boolean tty,
      BiFunction<OutputStream, OutputStream, ExecService.Started> starter) {
    Channel ch = ctx.channel();
    boolean upgrade = "tcp".equalsIgnoreCase(req.headers().get("Upgrade"))
        || (req.headers().get("Connection") != null && req.headers().get("Connection").toLowerCase().contains("upgrade"));
    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
        upgrade ? new HttpResponseStatus(101, "UPGRADED") : HttpResponseStatus.OK);
    r.headers().set("Content-Type", tty || !req.atLeast("1.42") ? RAW : MULTIPLEXED);
    r.headers().set("Api-Version", ApiVersion.CURRENT);
    r.headers().set("Server", "berth/" + BuildInfo.CURRENT.version() + " (linux)");
    r.headers().set("OSType", "linux");
    if (upgrade) {
      r.headers().set("Connection", "Upgrade");
      r.headers().set("Upgrade", "tcp");
    } else {
      r.headers().set("Connection", "close");
    }
    ChannelPipeline p = ch.pipeline();
    for (String name : new String[] {"keep-alive", "aggregate", "request"}) {
      if (p.get(name) != null) p.remove(name);
    }
    ChannelFuture sent = ch.writeAndFlush(r);
    sent.awaitUninterruptibly();
    if (!sent.isSuccess()) {
      ch.close();
      return;
    }
    if (p.get("http") != null) p.remove("http");
    Stdin stdin = new Stdin(ch);
    p.addFirst("exec-stdin", stdin);
    ExecService.Started s;
    try {
      s = starter.apply(new Sink(ch, tty ? 0 : 1), new Sink(ch, tty ? 0 : 2));
    } catch (RuntimeException e) {
      finish(ch, tty, e.getMessage(), stdin);
      return;
    }
    if (s.failure() != null) {
      String msg = s.failure().startsWith("berth-runc: ") ? s.failure().substring("berth-runc: ".length()) : s.failure();
      finish(ch, tty, "OCI runtime exec failed: " + msg, stdin);
      return;
    }
    stdin.attach(s.stdin());
    s.exit().whenComplete((code, t) -> {
      stdin.stop();
      ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    });
  }

  /** dockerd's way of reporting a start failure on an already hijacked stream: the text on stdout. */
  private static void finish(Channel ch, boolean tty, String message, Stdin stdin) {
    stdin.stop();
    try {
      new Sink(ch, tty ? 0 : 1).write((message + "\r\n").getBytes(StandardCharsets.UTF_8));
    } catch (IOException ignored) {
      // the client is gone
    }
    ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
  }

  /** Output to the client: one frame per write (stream 1/2) or raw (0); waits while the channel is full. */
  static final class Sink extends OutputStream {
    private final Channel ch;
    private final int stream;

    Sink(Channel ch, int stream) {
      this.ch = ch;
      this.stream = stream;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (len == 0) return;
      if (!ch.isActive()) throw new IOException("the client is gone");
      ByteBuf buf;
      if (stream == 0) {
        buf = Unpooled.copiedBuffer(b, off, len);
      } else {
        buf = Unpooled.buffer(8 + len);
        buf.writeByte(stream).writeByte(0).writeByte(0).writeByte(0).writeInt(len).writeBytes(b, off, len);
      }
      ChannelFuture f = ch.writeAndFlush(buf);
      if (!ch.isWritable()) f.awaitUninterruptibly();
    }
  }

  /**
   * The client's bytes, written to the process's stdin by a thread of its own (a pipe or terminal
   * may block); the channel stops reading while much is queued.
   */
  static final class Stdin extends ChannelInboundHandlerAdapter {
    private final Channel ch;
    private final BlockingQueue<byte[]> queue = new LinkedBlockingQueue<>();
    private volatile Thread writer;

    Stdin(Channel ch) {
      this.ch = ch;
    }

    void attach(OutputStream target) {
      Thread t = new Thread(() -> pump(target), "berthd-exec-stdin");
      t.setDaemon(true);
      writer = t;
      t.start();
    }

    void stop() {
      queue.clear();
      queue.offer(EOF);
      Thread t = writer;
      if (t != null) t.interrupt();
    }

    private void pump(OutputStream target) {
      try {
        while (true) {
          byte[] b = queue.take();
          if (queue.size() < 8 && !ch.config().isAutoRead()) ch.config().setAutoRead(true);
          if (b == EOF) {
            target.close();
            return;
          }
          target.write(b);
          target.flush();
        }
      } catch (InterruptedException | IOException e) {
        // the process is gone or its stdin closed: the rest is dropped
        ch.config().setAutoRead(true);
      }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (!(msg instanceof ByteBuf buf)) {
        ReferenceCountUtil.release(msg);
        return;
      }
      try {
        byte[] b = new byte[buf.readableBytes()];
        buf.readBytes(b);
        if (b.length > 0) queue.offer(b);
      } finally {
        buf.release();
      }
      if (queue.size() > 32) ch.config().setAutoRead(false);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof ChannelInputShutdownEvent) queue.offer(EOF);
      ReferenceCountUtil.release(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      queue.offer(EOF);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
