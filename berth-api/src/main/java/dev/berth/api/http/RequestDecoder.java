package dev.berth.api.http;

import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageDecoder;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns an aggregated HTTP request into an {@link ApiRequest}: strips the {@code /vX.Y} prefix
 * and answers itself what no resource handler should see — malformed HTTP (400, then the
 * connection is closed), a bad URI (400) and an unsupported API version (Docker's 400 message).
 */
public final class RequestDecoder extends MessageToMessageDecoder<FullHttpRequest> {
    /** dockerd's route prefix: {@code /v{version:[0-9.]+}}. */
    private static final Pattern VERSIONED = Pattern.compile("/v([0-9.]+)(/.*)");

    @Override
    protected void decode(ChannelHandlerContext ctx, FullHttpRequest req, List<Object> out) {
        if (req.decoderResult().isFailure()) {
            Throwable cause = req.decoderResult().cause();
            Responses.errorAndClose(ctx, HttpResponseStatus.BAD_REQUEST,
                    "malformed HTTP request: " + (cause == null || cause.getMessage() == null ? "unreadable" : cause.getMessage()));
            return;
        }
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        QueryStringDecoder q;
        String path;
        try {
            q = new QueryStringDecoder(req.uri());
            path = q.path();
            q.parameters(); // decodes now, so a bad escape is answered here
        } catch (IllegalArgumentException e) {
            Responses.error(ctx, new ApiRequest(req.method(), "", ApiVersion.CURRENT, java.util.Map.of(), req.headers(), new byte[0],
                    keepAlive), HttpResponseStatus.BAD_REQUEST, "invalid request URI: " + e.getMessage());
            if (req instanceof StreamedBodies.StreamedRequest s) closeQuietly(s.body());
            return;
        }
        String version = ApiVersion.CURRENT;
        Matcher m = VERSIONED.matcher(path);
        if (m.matches()) {
            version = m.group(1);
            path = m.group(2);
        }
        ApiRequest api = new ApiRequest(req.method(), path, version, q.parameters(), req.headers(),
                ByteBufUtil.getBytes(req.content()), keepAlive, req instanceof StreamedBodies.StreamedRequest s ? s.body() : null);
        String unsupported = ApiVersion.unsupported(version);
        if (unsupported != null) {
            Responses.error(ctx, api, HttpResponseStatus.BAD_REQUEST, unsupported);
            if (api.stream() != null) closeQuietly(api.stream());
            return;
        }
        out.add(api);
    }

    static void closeQuietly(java.io.InputStream in) {
        try { in.close(); } catch (java.io.IOException ignored) {}
    }
}
