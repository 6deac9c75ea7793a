package dev.berth.engine.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EventFilterTest {
  static final EventBus.Event START = new EventBus.Event("container", "start", "abcdef0123",
      Map.of("name", "web", "image", "busybox:latest", "app", "x"), 5);
  static final EventBus.Event HEALTH = new EventBus.Event("container", "health_status: healthy", "abcdef0123", Map.of("name", "web"), 5);
  static final EventBus.Event VOL = new EventBus.Event("volume", "create", "data", Map.of("driver", "local"), 5);
  static final EventBus.Event TAG = new EventBus.Event("image", "tag", "sha256:1234", Map.of("name", "busybox:1"), 5);

  static EventFilter f(Map<String, List<String>> m) { return EventFilter.of(m); }

  @Test
  void keysAreAndedValuesAlternatives() {
    EventFilter x = f(Map.of("type", List.of("container", "volume"), "event", List.of("start", "create")));
    assertThat(x.test(START)).isTrue();
    assertThat(x.test(VOL)).isTrue();
    assertThat(x.test(TAG)).isFalse();
    assertThat(x.test(HEALTH)).isFalse();
  }

  @Test
  void containerMatchesIdPrefixOrNameAndExcludesOtherTypes() {
    assertThat(f(Map.of("container", List.of("abc"))).test(START)).isTrue();
    assertThat(f(Map.of("container", List.of("web"))).test(START)).isTrue();
    assertThat(f(Map.of("container", List.of("other"))).test(START)).isFalse();
    assertThat(f(Map.of("container", List.of("web"))).test(VOL)).isFalse();
    assertThat(f(Map.of("volume", List.of("data"))).test(VOL)).isTrue();
  }

  @Test
  void imageLabelAndFuzzyEvents() {
    assertThat(f(Map.of("image", List.of("busybox"))).test(START)).isTrue();
    assertThat(f(Map.of("image", List.of("busybox"))).test(TAG)).isTrue();
    assertThat(f(Map.of("image", List.of("alpine"))).test(START)).isFalse();
    assertThat(f(Map.of("label", List.of("app=x"))).test(START)).isTrue();
    assertThat(f(Map.of("label", List.of("app=y"))).test(START)).isFalse();
    assertThat(f(Map.of("event", List.of("health_status"))).test(HEALTH)).isTrue();
  }

  @Test
  void unknownKeysAreRefused() {
    assertThatThrownBy(() -> f(Map.of("colour", List.of("red")))).hasMessageContaining("invalid filter 'colour'");
  }

  @Test
  void timesAsTheCliSendsThemAndMore() {
    Instant now = Instant.parse("2026-01-01T00:10:00Z");
    assertThat(EventFilter.time("1700000000.5", now)).isEqualTo(1_700_000_000_500_000_000L);
    assertThat(EventFilter.time("1700000000", now)).isEqualTo(1_700_000_000_000_000_000L);
    assertThat(EventFilter.time("2026-01-01T00:00:00Z", now)).isEqualTo(Instant.parse("2026-01-01T00:00:00Z").getEpochSecond() * 1_000_000_000L);
    assertThat(EventFilter.time("10m", now)).isEqualTo(Instant.parse("2026-01-01T00:00:00Z").getEpochSecond() * 1_000_000_000L);
    assertThatThrownBy(() -> EventFilter.time("yesterday", now)).hasMessageContaining("yesterday");
  }
}
