package dev.berth.api.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.api.BuildInfo;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.Arrays;

/**
 * Writes every response the API sends, with the headers dockerd puts on all of them (Server,
 * Api-Version, OSType). Bodies are whole ({@code Content-Length}) or chunked; keep-alive follows the
 * request (HttpServerKeepAliveHandler closes the connection when it must).
 */
public final class Responses {
    /** Chunk size of chunked bodies. */
    static final int CHUNK = 8192;
    public static final String JSON = "application/json";
    public static final String TEXT = "text/plain; charset=utf-8";

    private Responses() {}

    /*
     * Header names are written in Go's canonical form ("Content-Type"), as dockerd's clients see
     * them; Netty's constants are lower case.
     */
    static final String CONTENT_TYPE = "Content-Type", CONTENT_LENGTH = "Content-Length", CONNECTION = "Connection",
            TRANSFER_ENCODING = "Transfer-Encoding";

    static void commonHeaders(HttpHeaders h) {
        h.set("Server", "berth/" + BuildInfo.CURRENT.version() + " (linux)");
        h.set("Api-Version", ApiVersion.CURRENT);
        h.set("OSType", "linux");
    }

    /** A JSON body as dockerd writes it (one document and a newline). */
    public static byte[] jsonBytes(JsonNode node) {
        try {
            byte[] b = Json.MAPPER.writeValueAsBytes(node);
            byte[] out = Arrays.copyOf(b, b.length + 1);
            out[b.length] = '\n';
            return out;
        } catch (JsonProcessingException e) {
            throw ApiException.internal("cannot encode the response: " + e.getOriginalMessage());
        }
    }

    public static void json(ChannelHandlerContext ctx, ApiRequest req, HttpResponseStatus status, JsonNode body) {
        send(ctx, req, status, JSON, jsonBytes(body), null);
    }

    /**
     * A whole body with its Content-Length ({@code extra} headers may be null). To a HEAD request
     * the same headers go out without the body.
     */
    public static void send(ChannelHandlerContext ctx, ApiRequest req, HttpResponseStatus status, String contentType,
            byte[] body, HttpHeaders extra) {
        boolean head = req.method().equals(HttpMethod.HEAD);
        ByteBuf content = head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        commonHeaders(r.headers());
        if (extra != null) r.headers().add(extra);
        r.headers().set(CONTENT_TYPE, contentType);
        r.headers().set(CONTENT_LENGTH, head ? 0 : body.length);
        keepAlive(r, req);
        ctx.writeAndFlush(r);
    }

    /**
     * The body in {@code Transfer-Encoding: chunked} pieces, as dockerd sends its larger JSON
     * answers (Go's server switches to chunked past its first buffer).
     */
    public static void sendChunked(ChannelHandlerContext ctx, ApiRequest req, HttpResponseStatus status, String contentType,
            byte[] body) {
        if (req.method().equals(HttpMethod.HEAD)) {
            send(ctx, req, status, contentType, body, null);
            return;
        }
        HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, status);
        commonHeaders(r.headers());
        r.headers().set(CONTENT_TYPE, contentType);
        keepAlive(r, req);
        r.headers().set(TRANSFER_ENCODING, "chunked");
        ctx.write(r);
        for (int off = 0; off < body.length; off += CHUNK)
            ctx.write(new DefaultHttpContent(Unpooled.wrappedBuffer(body, off, Math.min(CHUNK, body.length - off))));
        ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
    }

    /** The common headers, the content type and keep-alive on a response whose body the caller streams. */
    public static void headers(HttpResponse r, ApiRequest req, String contentType) {
        commonHeaders(r.headers());
        r.headers().set(CONTENT_TYPE, contentType);
        keepAlive(r, req);
    }

    /** "Connection: close" when the request did not ask to keep the connection (HttpServerKeepAliveHandler then closes it). */
    private static void keepAlive(HttpResponse r, ApiRequest req) {
        if (!req.keepAlive()) r.headers().set(CONNECTION, "close");
    }

    /** Docker's error body {@code {"message": ...}} (none with 304, which may not have one). */
    public static void error(ChannelHandlerContext ctx, ApiRequest req, HttpResponseStatus status, String message) {
        if (status.code() == 304) {
            send(ctx, req, status, TEXT, new byte[0], null);
            return;
        }
        send(ctx, req, status, JSON, errorBody(message), null);
    }

    /**
     * An error before there is a request to answer (malformed HTTP, oversized body): the
     * connection is closed after it, since the rest of its bytes cannot be trusted.
     */
    public static void errorAndClose(ChannelHandlerContext ctx, HttpResponseStatus status, String message) {
        byte[] body = errorBody(message);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
        commonHeaders(r.headers());
        r.headers().set(CONTENT_TYPE, JSON);
        r.headers().set(CONNECTION, "close");
        r.headers().set(CONTENT_LENGTH, body.length);
        ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
    }

    static byte[] errorBody(String message) {
        return jsonBytes(Json.object().put("message", message));
    }

}
