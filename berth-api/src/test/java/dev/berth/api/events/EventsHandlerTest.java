package dev.berth.api.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.http.ApiAggregator;
import dev.berth.api.http.NotFoundHandler;
import dev.berth.api.http.RequestDecoder;
import dev.berth.engine.events.EventBus;
import dev.berth.engine.events.EventJournal;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GET /events on an EmbeddedChannel: replay, filters, the end at a past until, live events, the subscription gone with the client. */
class EventsHandlerTest {
  @TempDir Path dir;
  EventBus bus;
  EventJournal journal;
  EmbeddedChannel ch;

  @BeforeEach
  void setUp() throws Exception {
    bus = new EventBus();
    journal = EventJournal.open(dir, bus);
    ch = new EmbeddedChannel(new HttpServerCodec(), new ApiAggregator(1 << 20), new RequestDecoder(), new EventsHandler(journal),
        new NotFoundHandler());
  }

  @AfterEach
  void tearDown() {
    ch.finishAndReleaseAll();
    journal.close();
  }

  String get(String path) {
    ch.writeInbound(Unpooled.copiedBuffer("GET " + path + " HTTP/1.1\r\nHost: d\r\n\r\n", StandardCharsets.UTF_8));
    return drain();
  }

  String drain() {
    ch.runPendingTasks();
    StringBuilder out = new StringBuilder();
    ByteBuf b;
    while ((b = ch.readOutbound()) != null) {
      out.append(b.toString(StandardCharsets.UTF_8));
      b.release();
    }
    return out.toString();
  }

  static String q(String s) { return URLEncoder.encode(s, StandardCharsets.UTF_8); }

  @Test
  void pastEventsInRangeThenTheEnd() {
    bus.publish(new EventBus.Event("container", "create", "c1", Map.of("name", "a", "image", "busybox"), 1_000_000_000L));
    bus.publish(new EventBus.Event("container", "start", "c1", Map.of("name", "a", "image", "busybox"), 2_000_000_000L));
    bus.publish(new EventBus.Event("volume", "create", "v1", Map.of("driver", "local"), 3_000_000_000L));
    String r = get("/v1.50/events?since=1.5&until=10&filters=" + q("{\"type\":{\"container\":true}}"));
    assertThat(r).startsWith("HTTP/1.1 200 OK").containsIgnoringCase("transfer-encoding: chunked");
    assertThat(r).contains("{\"status\":\"start\",\"id\":\"c1\",\"from\":\"busybox\",\"Type\":\"container\",\"Action\":\"start\","
        + "\"Actor\":{\"ID\":\"c1\",\"Attributes\":{\"image\":\"busybox\",\"name\":\"a\"}},\"scope\":\"local\",\"time\":2,\"timeNano\":2000000000}");
    assertThat(r).doesNotContain("\"create\"").endsWith("0\r\n\r\n");
    assertThat(journal.followers()).isZero();
  }

  @Test
  void liveEventsUntilTheClientHangsUp() {
    String head = get("/events?filters=" + q("{\"event\":[\"die\"]}"));
    assertThat(head).startsWith("HTTP/1.1 200 OK");
    assertThat(journal.followers()).isEqualTo(1);
    bus.publish("container", "start", "c2", Map.of("name", "b"));
    bus.publish("container", "die", "c2", Map.of("name", "b", "exitCode", "0"));
    String body = drain();
    assertThat(body).contains("\"Action\":\"die\"").doesNotContain("\"Action\":\"start\"");
    ch.close();
    assertThat(journal.followers()).as("the subscription goes with the connection").isZero();
  }

  @Test
  void badInputIs400() {
    assertThat(get("/events?filters=" + q("{\"colour\":[\"red\"]}"))).startsWith("HTTP/1.1 400").contains("invalid filter 'colour'");
    assertThat(get("/events?since=yesterday")).startsWith("HTTP/1.1 400").contains("yesterday");
    assertThat(get("/events?since=20&until=10")).startsWith("HTTP/1.1 400").contains("cannot be after");
    assertThat(journal.followers()).isZero();
  }
}
