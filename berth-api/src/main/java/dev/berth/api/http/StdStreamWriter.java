package dev.berth.api.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.concurrent.TimeUnit;

/**
 * Writes a container's output the way Docker streams it: without a TTY, multiplexed frames
 * {@code [stream (1 stdout, 2 stderr; 0 stdin), 0, 0, 0, size u32 BE] payload}; with one, the raw
 * bytes. Either as HTTP body chunks (logs: the codec is still in place) or as raw bytes on a
 * hijacked connection ({@link Hijack}: attach, exec start). Called from one (virtual) thread;
 * blocks while the client reads slower than the container writes (bounded back-pressure, no
 * unbounded buffering). {@link #write} returns false once the client is gone: the caller stops.
 */
public final class StdStreamWriter {
    public static final int STDIN = 0, STDOUT = 1, STDERR = 2;
    public static final String MULTIPLEXED = "application/vnd.docker.multiplexed-stream", RAW = "application/vnd.docker.raw-stream";

    private final Channel ch;
    private final boolean multiplexed, http;

    /**
     * @param multiplexed frames (no TTY) or raw bytes (TTY)
     * @param http the bytes go out as HTTP chunks (the HTTP codec is in the pipeline) rather than raw
     */
    public StdStreamWriter(Channel ch, boolean multiplexed, boolean http) {
        this.ch = ch;
        this.multiplexed = multiplexed;
        this.http = http;
    }

    /** The Content-Type of such a stream. */
    public static String contentType(boolean multiplexed) { return multiplexed ? MULTIPLEXED : RAW; }

    /** One frame (or the raw bytes); false if the client has gone. */
    public boolean write(int stream, byte[] data, int off, int len) {
        if (!ch.isActive()) return false;
        if (len == 0) return true;
        ByteBuf b;
        if (multiplexed) {
            b = Unpooled.buffer(8 + len);
            b.writeByte(stream).writeByte(0).writeByte(0).writeByte(0).writeInt(len).writeBytes(data, off, len);
        } else {
            b = Unpooled.wrappedBuffer(data, off, len);
        }
        if (!http) EpollHalfClose.beforeWrite(ch); // a half-closed hijacked connection (Netty 4.2.17's epoll)
        ChannelFuture f = ch.writeAndFlush(http ? new DefaultHttpContent(b) : b);
        if (!ch.isWritable()) {
            // the client reads slowly: wait for this write (or for it to go away)
            while (ch.isActive() && !f.awaitUninterruptibly(1, TimeUnit.SECONDS)) {
                // again
            }
        }
        return ch.isActive();
    }

    public boolean write(int stream, byte[] data) { return write(stream, data, 0, data.length); }

    public boolean isOpen() { return ch.isActive(); }

    /** The end of the stream: the last HTTP chunk, or (hijacked) the connection closed after what was written. */
    public void end() {
        if (http) ch.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        else {
            EpollHalfClose.beforeWrite(ch);
            ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
