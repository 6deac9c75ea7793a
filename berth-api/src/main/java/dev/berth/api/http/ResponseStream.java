package dev.berth.api.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A streamed 200 response ({@code Transfer-Encoding: chunked}) written from a handler's thread:
 * newline-delimited JSON messages flushed as they happen (pull, push, load, import progress), or a
 * byte stream (an image tar). Nothing is sent before the first message, so a handler that fails
 * before it answers with an ordinary JSON error ({@link #started()} false), as dockerd does; after
 * it, a failure becomes Docker's last line {@code {"errorDetail":{"message":..},"error":..}}
 * ({@link #fail}). Writes wait while the client is slow (the channel not writable), so a large
 * body is never queued in memory; a client gone makes writes throw IOException.
 */
public final class ResponseStream {
    static final int BODY_CHUNK = 64 * 1024;

    private final Channel channel;
    private final ApiRequest req;
    private final String contentType;
    private boolean started, ended;

    public ResponseStream(ChannelHandlerContext ctx, ApiRequest req, String contentType) {
        this.channel = ctx.channel();
        this.req = req;
        this.contentType = contentType;
    }

    public synchronized boolean started() { return started; }

    private final io.netty.handler.codec.http.HttpHeaders extra = new io.netty.handler.codec.http.DefaultHttpHeaders();

    /** A header of the response (before it starts). */
    public synchronized ResponseStream header(String name, String value) {
        extra.set(name, value);
        return this;
    }

    private void start() throws IOException {
        if (started) return;
        started = true;
        HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        Responses.commonHeaders(r.headers());
        r.headers().set(Responses.CONTENT_TYPE, contentType);
        r.headers().add(extra);
        r.headers().set(Responses.TRANSFER_ENCODING, "chunked");
        if (!req.keepAlive()) r.headers().set(Responses.CONNECTION, "close");
        await(channel.writeAndFlush(r));
    }

    /** One JSON message and its newline, flushed now. */
    public synchronized void line(String json) throws IOException {
        start();
        byte[] b = (json + "\n").getBytes(StandardCharsets.UTF_8);
        await(channel.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(b))));
    }

    /** {@link #line}, with an IOException (the client gone) made unchecked, for progress callbacks. */
    public void lineUnchecked(String json) {
        try {
            line(json);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Raw body bytes (starts the response). */
    public synchronized void write(byte[] b, int off, int len) throws IOException {
        start();
        if (len == 0) return;
        await(channel.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer(b, off, len))));
    }

    /** The body as an OutputStream writing 64 KiB chunks; closing it does not end the response. */
    public OutputStream body() {
        return new OutputStream() {
            private final byte[] buf = new byte[BODY_CHUNK];
            private int n;

            @Override public void write(int b) throws IOException {
                if (n == buf.length) flush();
                buf[n++] = (byte) b;
            }

            @Override public void write(byte[] b, int off, int len) throws IOException {
                while (len > 0) {
                    if (n == buf.length) flush();
                    int k = Math.min(len, buf.length - n);
                    System.arraycopy(b, off, buf, n, k);
                    n += k; off += k; len -= k;
                }
            }

            @Override public void flush() throws IOException {
                if (n > 0) ResponseStream.this.write(buf, 0, n);
                n = 0;
            }

            @Override public void close() throws IOException { flush(); }
        };
    }

    /** Docker's error line (when started), then the end of the response. */
    public synchronized void fail(String message) throws IOException {
        var o = Json.object();
        o.putObject("errorDetail").put("message", message);
        o.put("error", message);
        line(o.toString());
        end();
    }

    /** Ends the response (an empty 200 if nothing was written). */
    public synchronized void end() throws IOException {
        if (ended) return;
        start();
        ended = true;
        ChannelFuture f = channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        if (f.isDone() && !f.isSuccess()) throw new IOException("the client went away: " + f.cause());
    }

    /** Waits for a write while the channel is not writable (flow control); fails if the client is gone. */
    private void await(ChannelFuture f) throws IOException {
        if (!channel.isWritable() || !channel.isActive()) f.awaitUninterruptibly();
        if (f.isDone() && !f.isSuccess()) throw new IOException("the client went away: " + f.cause());
        if (!channel.isActive()) throw new IOException("the client went away");
    }
}
