package dev.berth.api.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;

/**
 * The end of the pipeline: a request no resource handler took gets dockerd's 404
 * {@code {"message":"page not found"}} (also for a known path with another method, as dockerd's
 * router answers). An exception that reaches here closes the connection, after a JSON 500 if the
 * channel can still take one — never a hung connection.
 */
public final class NotFoundHandler extends ChannelInboundHandlerAdapter {

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ApiRequest req) {
            Responses.error(ctx, req, HttpResponseStatus.NOT_FOUND, "page not found");
            if (req.stream() != null) RequestDecoder.closeQuietly(req.stream());
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!(cause instanceof IOException)) { // a client gone away is not worth a line
            ResourceHandler.log.println("berthd: connection error: " + cause);
        }
        if (ctx.channel().isActive()) {
            Responses.errorAndClose(ctx, HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error: " + cause.getClass().getSimpleName());
        } else {
            ctx.close();
        }
    }
}
