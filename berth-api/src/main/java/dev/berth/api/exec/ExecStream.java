package dev.berth.api.exec;

import dev.berth.api.http.ApiRequest;
import dev.berth.api.http.Hijack;
import dev.berth.api.http.StdStreamWriter;
import dev.berth.engine.exec.ExecService;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.BiFunction;

/**
 * The stream of an attached exec: the connection hijacked ({@link Hijack}: 101 Upgrade, then raw),
 * the process's output through a {@link StdStreamWriter} (frames without a terminal, raw bytes with
 * one), the client's bytes to its stdin by a thread of its own, the client's half-close as end of
 * file. The connection is closed once the process has ended, its exit code is recorded and all its
 * output is written (the CLI inspects the exit code right after). A process that never ran gets
 * dockerd's text on the stream instead.
 */
final class ExecStream {
  private ExecStream() {}

  private static final byte[] EOF = new byte[0];

  static void run(ChannelHandlerContext ctx, ApiRequest req, boolean tty,
      BiFunction<OutputStream, OutputStream, ExecService.Started> starter) {
    run(ctx, req, tty, null, starter);
  }

  /** With a TTY, {@code detachKeys} typed on stdin end the stream; the process runs on (dockerd's detach). */
  static void run(ChannelHandlerContext ctx, ApiRequest req, boolean tty, byte[] detachKeys,
      BiFunction<OutputStream, OutputStream, ExecService.Started> starter) {
    // without a terminal the stream is always framed; API < 1.42 just names it raw-stream
    String type = StdStreamWriter.contentType(!tty && req.atLeast("1.42"));
    Stdin stdin = new Stdin(ctx.channel());
    if (tty && detachKeys != null) stdin.escape = new dev.berth.api.http.DetachKeys.Scanner(detachKeys);
    // The upgrade completes through a listener on this handler's executor (the current thread):
    // the rest runs there afterwards, never blocking it meanwhile (nor the event loop).
    Hijack.upgrade(ctx, req, type, stdin).whenCompleteAsync((ch, t) -> {
      if (t != null) {
        ctx.channel().close();
        return;
      }
      stream(ch, tty, starter, stdin);
    }, ctx.executor());
  }

  private static void stream(Channel ch, boolean tty, BiFunction<OutputStream, OutputStream, ExecService.Started> starter,
      Stdin stdin) {
    StdStreamWriter w = new StdStreamWriter(ch, !tty, false);
    ExecService.Started s;
    try {
      s = starter.apply(new Sink(w, StdStreamWriter.STDOUT), new Sink(w, StdStreamWriter.STDERR));
    } catch (RuntimeException e) {
      finish(w, e.getMessage(), stdin);
      return;
    }
    if (s.failure() != null) {
      finish(w, "OCI runtime exec failed: " + s.failure().replaceFirst("^berth-runc: ", ""), stdin);
      return;
    }
    stdin.attach(s.stdin());
    s.exit().whenComplete((code, t) -> {
      stdin.stop();
      w.end();
    });
  }

  /** dockerd's way of reporting a start failure on an already hijacked stream: the text on stdout. */
  private static void finish(StdStreamWriter w, String message, Stdin stdin) {
    stdin.stop();
    w.write(StdStreamWriter.STDOUT, (message + "\r\n").getBytes(StandardCharsets.UTF_8));
    w.end();
  }

  /** Output to the client through the stream writer (frames without a terminal, raw with one). */
  static final class Sink extends OutputStream {
    private final StdStreamWriter w;
    private final int stream;

    Sink(StdStreamWriter w, int stream) {
      this.w = w;
      this.stream = stream;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      // a copy: the writer may keep the bytes until the channel sends them
      if (!w.write(stream, java.util.Arrays.copyOfRange(b, off, off + len))) throw new IOException("the client is gone");
    }
  }

  /**
   * The client's bytes, written to the process's stdin by a thread of its own (a pipe or terminal
   * may block); the channel stops reading while much is queued.
   */
  static final class Stdin implements Hijack.Input {
    private final Channel ch;
    private final BlockingQueue<byte[]> queue = new LinkedBlockingQueue<>();
    private volatile Thread writer;
    dev.berth.api.http.DetachKeys.Scanner escape; // set before the upgrade; used on the event loop

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
    public void data(ByteBuf buf) {
      byte[] b = new byte[buf.readableBytes()];
      buf.readBytes(b);
      if (escape != null) {
        if (escape.detached()) return;
        b = escape.feed(b);
        if (escape.detached()) {
          if (b.length > 0) queue.offer(b);
          ch.close(); // detached: the process keeps its stdin and runs on
          return;
        }
      }
      if (b.length > 0) queue.offer(b);
      if (queue.size() > 32) ch.config().setAutoRead(false);
    }

    @Override
    public void halfClosed() {
      queue.offer(EOF);
    }

    @Override
    public void closed() {
      if (escape == null || !escape.detached()) queue.offer(EOF);
    }
  }
}
