package dev.berth.api.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sits before {@link ApiAggregator}: the bodies of the few requests that carry archives
 * ({@code POST /images/load}, {@code POST /images/create?fromSrc=-}, {@code PUT /containers/{id}/archive}) are not aggregated (a 1 GiB
 * image tar must not sit in memory, nor meet the 4 MiB cap) but handed to the resource handler as
 * an {@link InputStream} ({@link ApiRequest#stream()}) that it reads on its own thread while the
 * bytes arrive. At most about 1 MiB is buffered: beyond it the channel stops reading (auto-read
 * off) until the reader catches up. A client that hangs up mid-body makes the stream's next read
 * fail with an IOException. Every other request passes through to the aggregator unchanged.
 */
public final class StreamedBodies extends ChannelInboundHandlerAdapter {
    private static final Pattern VERSIONED = Pattern.compile("/v[0-9.]+(/.*)");

    private static final Pattern ARCHIVE = Pattern.compile("/containers/[^/]+/archive");

    private Body current;

    /** Whether the request's body is streamed rather than aggregated. */
    static boolean streamed(HttpRequest r) {
        if (!(r.method().equals(HttpMethod.POST) || r.method().equals(HttpMethod.PUT)) || r.decoderResult().isFailure()) return false;
        QueryStringDecoder q;
        String path;
        try {
            q = new QueryStringDecoder(r.uri());
            path = q.path();
            Matcher m = VERSIONED.matcher(path);
            if (m.matches()) path = m.group(1);
            if (r.method().equals(HttpMethod.PUT)) return ARCHIVE.matcher(path).matches();   // docker cp's upload
            return switch (path) {
                case "/images/load" -> true;
                case "/images/create" -> q.parameters().containsKey("fromSrc");
                default -> false;
            };
        } catch (IllegalArgumentException e) {
            return false; // a bad URI: RequestDecoder answers it
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (current != null && msg instanceof HttpContent c) {
            Body b = current;
            if (c instanceof LastHttpContent) current = null;
            b.offer(c.content().retain());
            if (c instanceof LastHttpContent) b.end();
            ReferenceCountUtil.release(msg);
            return;
        }
        if (current == null && msg instanceof HttpRequest req && !(msg instanceof FullHttpRequest) && streamed(req)) {
            if (HttpUtil.is100ContinueExpected(req)) {
                ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER));
                req.headers().remove(HttpHeaderNames.EXPECT);
            }
            Body b = new Body(ctx.channel());
            current = b;
            StreamedRequest s = new StreamedRequest(req, b);
            if (msg instanceof HttpContent c) { // (a codec that merges head and content)
                b.offer(c.content().retain());
                if (c instanceof LastHttpContent) { b.end(); current = null; }
                ReferenceCountUtil.release(msg);
            }
            ctx.fireChannelRead(s);
            return;
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (current != null) {
            current.fail("the client closed the connection before the end of the request body");
            current = null;
        }
        super.channelInactive(ctx);
    }

    /** The request head as a FullHttpRequest without content, carrying the body stream. */
    static final class StreamedRequest extends DefaultFullHttpRequest {
        private final Body body;

        StreamedRequest(HttpRequest head, Body body) {
            super(head.protocolVersion(), head.method(), head.uri(), Unpooled.EMPTY_BUFFER, head.headers(),
                    io.netty.handler.codec.http.EmptyHttpHeaders.INSTANCE);
            setDecoderResult(head.decoderResult());
            this.body = body;
        }

        InputStream body() { return body; }
    }

    /**
     * The body as it arrives: chunks queued by the event loop, read by the handler's thread. Reading
     * turns auto-read back on below the low mark; close discards what is queued and what comes.
     */
    static final class Body extends InputStream {
        static final long HIGH = 1 << 20, LOW = 256 << 10;

        private final Channel channel;
        private final ArrayDeque<ByteBuf> queue = new ArrayDeque<>();
        private long buffered;
        private boolean ended, closed;
        private String failure;

        Body(Channel channel) { this.channel = channel; }

        synchronized void offer(ByteBuf b) {
            if (closed || !b.isReadable()) {
                b.release();
                return;
            }
            queue.add(b);
            buffered += b.readableBytes();
            if (buffered > HIGH) channel.config().setAutoRead(false);
            notifyAll();
        }

        synchronized void end() {
            ended = true;
            notifyAll();
        }

        synchronized void fail(String message) {
            failure = message;
            notifyAll();
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public synchronized int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) return 0;
            while (queue.isEmpty() && !ended && failure == null && !closed) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted while reading the request body");
                }
            }
            if (queue.isEmpty()) {
                if (closed) throw new IOException("request body closed");
                if (ended) return -1;
                throw new IOException(failure);
            }
            ByteBuf head = queue.peek();
            int n = Math.min(len, head.readableBytes());
            head.readBytes(b, off, n);
            if (!head.isReadable()) queue.poll().release();
            buffered -= n;
            if (buffered < LOW && !channel.config().isAutoRead()) channel.config().setAutoRead(true);
            return n;
        }

        @Override
        public synchronized int available() { return (int) Math.min(Integer.MAX_VALUE, buffered); }

        @Override
        public synchronized void close() {
            if (closed) return;
            closed = true;
            queue.forEach(ByteBuf::release);
            queue.clear();
            buffered = 0;
            if (!channel.config().isAutoRead()) channel.config().setAutoRead(true);
            notifyAll();
        }
    }
}
