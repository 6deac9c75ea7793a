package dev.berth.api.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Docker's connection hijack (attach, exec start): the request asked {@code Connection: Upgrade},
 * {@code Upgrade: tcp}; the answer is {@code 101 Switching Protocols} (200 to an old client that did
 * not ask), and from then on the connection carries raw bytes both ways. Once the response is out,
 * every HTTP handler is removed from the channel's pipeline and {@link Input} receives the client's
 * bytes (stdin), its half-close ({@code shutdownOutput}: end of stdin) and the connection's end.
 * Output goes through a {@link StdStreamWriter} with {@code http=false} on {@link #channel}.
 */
public final class Hijack {
    /** What the client sends after the upgrade. Called on the channel's event loop: never block in it. */
    public interface Input {
        /** Bytes from the client; the buffer is released after the call. */
        void data(ByteBuf buf);

        /** The client closed its sending side (stdin's end). */
        void halfClosed();

        /** The connection is gone. */
        void closed();
    }

    private Hijack() {}

    /** Whether the request asked for the upgrade (else it gets 200 and the stream anyway). */
    public static boolean asked(ApiRequest req) {
        String c = req.headers().get(HttpHeaderNames.CONNECTION, "");
        return c.toLowerCase(java.util.Locale.ROOT).contains("upgrade") && req.headers().contains(HttpHeaderNames.UPGRADE);
    }

    /**
     * Answers the request with 101 (or 200) and {@code contentType}, then turns the connection
     * raw. The future completes with the channel once it is raw (or fails if the client is gone).
     */
    public static CompletableFuture<Channel> upgrade(ChannelHandlerContext ctx, ApiRequest req, String contentType, Input input) {
        Channel ch = ctx.channel();
        boolean upgrade = asked(req);
        HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, upgrade ? HttpResponseStatus.SWITCHING_PROTOCOLS : HttpResponseStatus.OK);
        Responses.commonHeaders(r.headers());
        r.headers().set(Responses.CONTENT_TYPE, contentType);
        if (upgrade) {
            r.headers().set(Responses.CONNECTION, "Upgrade");
            r.headers().set("Upgrade", "tcp");
        }
        CompletableFuture<Channel> done = new CompletableFuture<>();
        // One task on the event loop: the 101 is encoded by the codec, then the pipeline turns raw
        // before anything more is read, so stdin the client sends as soon as it sees the 101 (and its
        // half-close) can never reach the HTTP decoder. The future completes on the event loop.
        ch.eventLoop().execute(() -> {
            ch.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
            ChannelFuture sent = ch.writeAndFlush(r);
            try {
                ChannelPipeline p = ch.pipeline();
                Raw raw = new Raw(input);
                // after the codec: bytes it holds already (stdin sent early) reach the raw handler when it goes
                if (p.get("http") != null) p.addAfter("http", "hijacked", raw);
                else p.addFirst("hijacked", raw);
                List<String> names = new ArrayList<>(p.names());
                for (String n : names) {
                    if (n.equals("hijacked") || p.get(n) == null) continue;
                    p.remove(n);
                }
                // a half-close or hang-up that came with the request itself
                if (ch instanceof io.netty.channel.socket.DuplexChannel d && d.isInputShutdown()) input.halfClosed();
                if (!ch.isActive()) raw.channelInactive(null);
            } catch (RuntimeException e) {
                ch.close();
                done.completeExceptionally(e);
                return;
            }
            sent.addListener(f -> {
                if (f.isSuccess()) done.complete(ch);
                else done.completeExceptionally(f.cause());
            });
        });
        return done;
    }

    private static final class Raw extends ChannelInboundHandlerAdapter {
        private final Input input;
        private boolean closed;

        Raw(Input input) { this.input = input; }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof ByteBuf b && b.isReadable()) input.data(b);
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) input.halfClosed();
            ReferenceCountUtil.release(evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (!closed) {
                closed = true;
                input.closed();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
