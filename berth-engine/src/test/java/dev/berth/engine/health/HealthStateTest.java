package dev.berth.engine.health;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class HealthStateTest {
  static final ObjectMapper M = new ObjectMapper();
  static final Instant T0 = Instant.parse("2026-12-05T08:00:00Z");

  static HealthConfig cfg(String json) throws Exception {
    return HealthConfig.of(M.readTree(json));
  }

  static HealthState.Result at(int seconds, int code) {
    return new HealthState.Result(T0.plusSeconds(seconds), T0.plusSeconds(seconds).plusMillis(10), code, "out" + seconds);
  }

  @Test
  void startingUnhealthyAfterRetriesThenHealthy() throws Exception {
    HealthConfig c = cfg("{\"Test\":[\"CMD\",\"true\"],\"Retries\":2}");
    HealthState h = new HealthState();
    assertThat(h.status()).as("before any start: dockerd's unhealthy").isEqualTo("unhealthy");
    h.reset();
    assertThat(h.status()).isEqualTo("starting");
    assertThat(h.psText()).isEqualTo("health: starting");
    assertThat(h.record(at(1, 1), T0, c)).isNull();
    assertThat(h.failingStreak()).isEqualTo(1);
    assertThat(h.record(at(2, 1), T0, c)).isEqualTo("unhealthy");
    assertThat(h.record(at(3, 2), T0, c)).isNull();
    assertThat(h.failingStreak()).isEqualTo(3);
    assertThat(h.record(at(4, 0), T0, c)).isEqualTo("healthy");
    assertThat(h.failingStreak()).isZero();
    assertThat(h.psText()).isEqualTo("healthy");
    assertThat(h.record(at(5, 1), T0, c)).as("healthy stays healthy below the retries").isNull();
    assertThat(h.status()).isEqualTo("healthy");
    // a restart: starting again, the log kept
    h.reset();
    assertThat(h.status()).isEqualTo("starting");
    assertThat(h.failingStreak()).isZero();
    assertThat(h.logSize()).isEqualTo(5);
  }

  @Test
  void failuresWithinTheStartPeriodDoNotCount() throws Exception {
    HealthConfig c = cfg("{\"Test\":[\"CMD-SHELL\",\"x\"],\"Retries\":1,\"StartPeriod\":10000000000}");
    HealthState h = new HealthState();
    h.reset();
    assertThat(h.record(at(3, 1), T0, c)).isNull();
    assertThat(h.failingStreak()).isZero();
    assertThat(h.status()).isEqualTo("starting");
    assertThat(h.record(at(11, 1), T0, c)).isEqualTo("unhealthy");
  }

  @Test
  void theLogKeepsTheLastFive() throws Exception {
    HealthConfig c = cfg("{\"Test\":[\"CMD\",\"true\"]}");
    HealthState h = new HealthState();
    h.reset();
    for (int i = 0; i < 8; i++) h.record(at(i, 0), T0, c);
    ObjectNode j = h.toJson();
    assertThat(j.get("Log")).hasSize(5);
    assertThat(j.get("Log").get(0).get("Output").asText()).isEqualTo("out3");
    assertThat(j.get("Log").get(4).get("Output").asText()).isEqualTo("out7");
    assertThat(j.get("Status").asText()).isEqualTo("healthy");
    HealthState back = HealthState.fromJson(j);
    assertThat(back.toJson()).isEqualTo(j);
  }

  @Test
  void configDefaultsKindsAndCommands() throws Exception {
    HealthConfig d = cfg("{\"Test\":[\"CMD-SHELL\",\"test -f /tmp/ok\"]}");
    assertThat(d.interval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(d.timeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(d.startInterval()).isEqualTo(Duration.ofSeconds(5));
    assertThat(d.startPeriod()).isZero();
    assertThat(d.retries()).isEqualTo(3);
    assertThat(d.command(java.util.List.of())).containsExactly("/bin/sh", "-c", "test -f /tmp/ok");
    assertThat(d.command(java.util.List.of("/bin/ash", "-xc"))).containsExactly("/bin/ash", "-xc", "test -f /tmp/ok");
    assertThat(cfg("{\"Test\":[\"CMD\",\"cat\",\"/x\"]}").command(java.util.List.of())).containsExactly("cat", "/x");
    assertThat(cfg("{\"Test\":[\"NONE\"]}")).isNull();
    assertThat(cfg("{\"Test\":[]}")).isNull();
    assertThat(cfg("{\"Test\":[\"HTTP\",\"x\"]}")).isNull();
    assertThat(HealthConfig.of(null)).isNull();
  }

  @Test
  void mergeWithTheImagesCheck() throws Exception {
    var image = M.readTree("{\"Healthcheck\":{\"Test\":[\"CMD\",\"img\"],\"Interval\":5000000000,\"Retries\":4}}");
    ObjectNode none = M.createObjectNode();
    HealthConfig.merge(none, image);
    assertThat(none.get("Healthcheck")).isEqualTo(image.get("Healthcheck"));
    ObjectNode partial = (ObjectNode) M.readTree("{\"Healthcheck\":{\"Interval\":1000000000}}");
    HealthConfig.merge(partial, image);
    assertThat(partial.get("Healthcheck").toString()).isEqualTo("{\"Interval\":1000000000,\"Test\":[\"CMD\",\"img\"],\"Retries\":4}");
    ObjectNode off = (ObjectNode) M.readTree("{\"Healthcheck\":{\"Test\":[\"NONE\"]}}");
    HealthConfig.merge(off, image);
    assertThat(HealthConfig.of(off.get("Healthcheck"))).isNull();
  }

  @Test
  void validationAndGoDurations() throws Exception {
    assertThat(HealthConfig.validate(M.readTree("{\"Interval\":1000}"))).isEqualTo("Interval in Healthcheck cannot be less than 1ms");
    assertThat(HealthConfig.validate(M.readTree("{\"Retries\":-1}"))).isEqualTo("Retries in Healthcheck cannot be negative");
    assertThat(HealthConfig.validate(M.readTree("{\"Interval\":1000000,\"Timeout\":0}"))).isNull();
    assertThat(HealthConfig.go(Duration.ofSeconds(1))).isEqualTo("1s");
    assertThat(HealthConfig.go(Duration.ofMillis(1500))).isEqualTo("1.5s");
    assertThat(HealthConfig.go(Duration.ofMillis(500))).isEqualTo("500ms");
    assertThat(HealthConfig.go(Duration.ofSeconds(90))).isEqualTo("1m30s");
    assertThat(HealthConfig.go(Duration.ofSeconds(60))).isEqualTo("1m0s");
    assertThat(HealthConfig.go(Duration.ofHours(1))).isEqualTo("1h0m0s");
  }

  @Test
  void outputIsCutAt4KiB() {
    HealthMonitor.Limited l = new HealthMonitor.Limited();
    byte[] big = new byte[5000];
    java.util.Arrays.fill(big, (byte) 'a');
    l.write(big, 0, big.length);
    assertThat(l.text()).hasSize(4096 + 3).endsWith("a...");
  }
}
