package dev.berth.api.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * Collects a request's body (plain or chunked; answers {@code Expect: 100-continue}) up to a
 * limit. A larger body gets Docker's JSON error with 413 and the connection is closed, instead of
 * Netty's empty 413.
 */
public final class ApiAggregator extends HttpObjectAggregator {
    private final int maxBody;

    public ApiAggregator(int maxBody) {
        super(maxBody);
        this.maxBody = maxBody;
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
        Responses.errorAndClose(ctx, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                "request body larger than " + maxBody + " bytes");
    }
}
