package dev.berth.api.events;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.api.http.ApiException;
import dev.berth.api.http.ApiRequest;
import dev.berth.api.http.Json;
import dev.berth.api.http.ResourceHandler;
import dev.berth.api.http.Responses;
import dev.berth.engine.events.EventBus;
import dev.berth.engine.events.EventFilter;
import dev.berth.engine.events.EventJournal;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.time.Instant;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * {@code GET /events}: the headers at once (the CLI waits for them), then the journal's events
 * between {@code since} and {@code until} that pass {@code filters}, then — unless {@code until}
 * is past — every new one as it is published, one EventMessage JSON per line, until {@code until}
 * (the response then ends) or the client hangs up (its subscription is then removed). Nothing
 * blocks a handler thread: events are written from the publisher's thread with non-blocking
 * channel writes; a client that does not read and lets more than {@link #MAX_PENDING} bytes pile up
 * is disconnected.
 */
public final class EventsHandler extends ResourceHandler {
  static final long MAX_PENDING = 16L * 1024 * 1024;

  private final EventJournal journal;

  public EventsHandler(EventJournal journal) { this.journal = journal; }

  @Override
  protected boolean handle(ChannelHandlerContext ctx, ApiRequest req) {
    if (!req.path().equals("/events")) return false;
    if (!req.method().equals(HttpMethod.GET)) return false;
    EventFilter filter;
    try {
      filter = EventFilter.of(req.filters());
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest(e.getMessage());
    }
    Instant now = Instant.now();
    long since = time(req, "since", now), until = time(req, "until", now);
    if (until > 0 && since > 0 && until < since) {
      throw ApiException.badRequest("`since` time (" + req.param("since") + ") cannot be after `until` time (" + req.param("until") + ")");
    }
    long nowNanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
    boolean onlyPast = until > 0 && until < nowNanos;
    new Stream(ctx.channel(), req, filter, since, until, onlyPast, nowNanos).begin();
    return true;
  }

  private static long time(ApiRequest req, String name, Instant now) {
    String v = req.param(name);
    if (v == null || v.isBlank()) return 0;
    try {
      return EventFilter.time(v, now);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest(e.getMessage());
    }
  }

  /** dockerd's EventMessage, with the legacy status/id/from of container and image events. */
  public static ObjectNode message(EventBus.Event e) {
    ObjectNode o = Json.object();
    if (e.type().equals("container") || e.type().equals("image")) {
      o.put("status", e.action());
      o.put("id", e.actorId());
      if (e.type().equals("container")) o.put("from", e.attributes().getOrDefault("image", ""));
    }
    o.put("Type", e.type());
    o.put("Action", e.action());
    ObjectNode actor = o.putObject("Actor");
    actor.put("ID", e.actorId());
    ObjectNode a = actor.putObject("Attributes");
    new TreeMap<>(e.attributes()).forEach(a::put);
    o.put("scope", "local");
    o.put("time", Math.floorDiv(e.timeNanos(), 1_000_000_000L));
    o.put("timeNano", e.timeNanos());
    return o;
  }

  private final class Stream {
    private final Channel ch;
    private final ApiRequest req;
    private final EventFilter filter;
    private final long since, until, now;
    private final boolean onlyPast;
    private boolean ended;
    private AutoCloseable subscription;

    Stream(Channel ch, ApiRequest req, EventFilter filter, long since, long until, boolean onlyPast, long now) {
      this.ch = ch;
      this.req = req;
      this.filter = filter;
      this.since = since;
      this.until = until;
      this.onlyPast = onlyPast;
      this.now = now;
    }

    void begin() {
      HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
      Responses.headers(r, req, Responses.JSON);
      r.headers().set("Transfer-Encoding", "chunked");
      ch.writeAndFlush(r);
      // dockerd replays the past only when since or until is given
      boolean replay = since > 0 || until > 0;
      // not under this stream's lock: the journal calls deliver holding its own (one lock order)
      AutoCloseable s = journal.follow(replay ? Math.max(since, 1) : Long.MAX_VALUE, until, !onlyPast, this::deliver);
      synchronized (this) {
        if (onlyPast || ended) {
          subscription = s;
          end();
          unsubscribe();
          return;
        }
        subscription = s;
      }
      ch.closeFuture().addListener(f -> unsubscribe());
      if (until > 0) ch.eventLoop().schedule(this::endNow, Math.max(0, until - now), TimeUnit.NANOSECONDS);
    }

    private synchronized void deliver(EventBus.Event e) {
      if (ended || !filter.test(e)) return;
      if (!ch.isActive()) {
        unsubscribe();
        return;
      }
      var buf = ch.unsafe().outboundBuffer();
      if (buf != null && buf.totalPendingWriteBytes() > MAX_PENDING) {
        ended = true;
        unsubscribe();
        ch.close();
        return;
      }
      byte[] b = Responses.jsonBytes(message(e));
      ch.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(b)));
    }

    private synchronized void endNow() {
      end();
    }

    private void end() {
      if (ended) return;
      ended = true;
      unsubscribe();
      // queued behind the events written from other threads (a write on the event loop itself would overtake them)
      ch.eventLoop().execute(() -> {
        var f = ch.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        if (!req.keepAlive()) f.addListener(ChannelFutureListener.CLOSE);
      });
    }

    private void unsubscribe() {
      AutoCloseable s;
      synchronized (this) {
        s = subscription;
        subscription = null;
      }
      if (s == null) return;
      try {
        s.close();
      } catch (Exception ignored) {
        // removal from a list
      }
    }
  }

}
