package dev.berth.api.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The streamed request bodies (image load, import) beside aggregated ones, on an EmbeddedChannel. */
class StreamedBodiesTest {
    final List<ApiRequest> seen = new ArrayList<>();
    final EmbeddedChannel ch = new EmbeddedChannel(new HttpServerCodec(), new StreamedBodies(), new ApiAggregator(1024),
            new RequestDecoder(), new ChannelInboundHandlerAdapter() {
                @Override public void channelRead(ChannelHandlerContext ctx, Object msg) { seen.add((ApiRequest) msg); }
            });

    @AfterEach
    void close() { ch.finishAndReleaseAll(); }

    void send(String s) { ch.writeInbound(Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1)); }

    void send(byte[] b) { ch.writeInbound(Unpooled.wrappedBuffer(b)); }

    @Test
    void aLoadBodyLargerThanTheAggregatorLimitArrivesAsAStream() throws IOException {
        byte[] body = new byte[5 << 20];
        new java.util.Random(7).nextBytes(body);
        send("POST /v1.50/images/load?quiet=1 HTTP/1.1\r\nHost: d\r\nContent-Length: " + body.length + "\r\n\r\n");
        for (int off = 0; off < body.length; off += 100_000) send(Arrays.copyOfRange(body, off, Math.min(body.length, off + 100_000)));
        assertThat(seen).hasSize(1);
        ApiRequest r = seen.getFirst();
        assertThat(r.path()).isEqualTo("/images/load");
        assertThat(r.stream()).isNotNull();
        assertThat(r.body()).isEmpty();
        try (InputStream in = r.stream()) {
            assertThat(in.readAllBytes()).isEqualTo(body);
        }
        assertThat(ch.config().isAutoRead()).isTrue();
        // the next request on the connection is aggregated as before
        send("POST /images/create?fromImage=busybox HTTP/1.1\r\nHost: d\r\nContent-Length: 2\r\n\r\n{}");
        assertThat(seen).hasSize(2);
        assertThat(seen.get(1).stream()).isNull();
        assertThat(new String(seen.get(1).body(), StandardCharsets.UTF_8)).isEqualTo("{}");
    }

    @Test
    void importBodiesStreamAndChunkedBodiesToo() throws IOException {
        send("POST /images/create?fromSrc=-&repo=x HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
        assertThat(seen).hasSize(1);
        try (InputStream in = seen.getFirst().bodyStream()) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("hello world");
        }
    }

    @Test
    void expectContinueIsAnswered() {
        send("POST /images/load HTTP/1.1\r\nHost: d\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
        ByteBuf out = ch.readOutbound();
        assertThat(out.toString(StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 100 Continue");
        out.release();
    }

    @Test
    void aClientGoneMidBodyFailsTheReader() {
        send("POST /images/load HTTP/1.1\r\nHost: d\r\nContent-Length: 100\r\n\r\nabc");
        InputStream in = seen.getFirst().stream();
        ch.close();
        assertThatThrownBy(in::readAllBytes).isInstanceOf(IOException.class).hasMessageContaining("closed the connection");
    }

    @Test
    void aClosedStreamDiscardsTheRestOfTheBody() throws IOException {
        send("POST /images/load HTTP/1.1\r\nHost: d\r\nContent-Length: 6\r\n\r\nabc");
        seen.getFirst().stream().close();
        send("def");
        send("GET /images/json HTTP/1.1\r\nHost: d\r\n\r\n");
        assertThat(seen).hasSize(2);
        assertThat(seen.get(1).path()).isEqualTo("/images/json");
    }
}
