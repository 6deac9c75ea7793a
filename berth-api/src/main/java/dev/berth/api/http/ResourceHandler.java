package dev.berth.api.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.PrintStream;

/**
 * Base of the handlers of one resource group (system, containers, images, ...): each answers the
 * {@link ApiRequest}s of its paths and passes the others down the pipeline. Errors become Docker's
 * JSON error here, in one place: an {@link ApiException} with its status, anything else as 500
 * with its message (the stack trace goes to berthd's log, never to the client).
 */
public abstract class ResourceHandler extends ChannelInboundHandlerAdapter {
    static PrintStream log = System.err;

    /** Answers {@code req} and returns true, or returns false if the path is not this group's. */
    protected abstract boolean handle(ChannelHandlerContext ctx, ApiRequest req) throws Exception;

    @Override
    public final void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ApiRequest req)) {
            ctx.fireChannelRead(msg);
            return;
        }
        boolean handled = true;
        dev.berth.engine.trace.OpTrace.begin(req, () -> req.method() + " " + req.path());
        try {
            handled = handle(ctx, req);
        } catch (ApiException e) {
            Responses.error(ctx, req, e.status(), e.getMessage());
        } catch (Exception | LinkageError e) {
            log.println("berthd: " + req.method() + " " + req.path() + ": " + e);
            e.printStackTrace(log);
            Responses.error(ctx, req, HttpResponseStatus.INTERNAL_SERVER_ERROR,
                    e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        } finally {
            // a streamed body the handler did not read to its end: the rest is discarded as it arrives
            if (handled && req.stream() != null) RequestDecoder.closeQuietly(req.stream());
            if (handled) dev.berth.engine.trace.OpTrace.end();
        }
        if (!handled) ctx.fireChannelRead(req);
    }
}
