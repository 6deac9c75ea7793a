package dev.berth.engine.containers;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RestartManagerTest {
  static final ObjectMapper M = new ObjectMapper();
  static final Duration SHORT = Duration.ofMillis(50);

  static ObjectNode hc(String name, int max) {
    ObjectNode h = M.createObjectNode();
    h.putObject("RestartPolicy").put("Name", name).put("MaximumRetryCount", max);
    return h;
  }

  @Test
  void backOffDoublesFrom100msCappedAtAMinuteAndResetsAfter10s() {
    List<Long> d = new ArrayList<>();
    long t = 0;
    for (int i = 0; i < 12; i++) d.add(t = RestartManager.nextDelay(t, SHORT));
    assertThat(d).containsExactly(100L, 200L, 400L, 800L, 1600L, 3200L, 6400L, 12800L, 25600L, 51200L, 60000L, 60000L);
    assertThat(RestartManager.nextDelay(60000, Duration.ofSeconds(10))).isEqualTo(100);
    assertThat(RestartManager.nextDelay(800, Duration.ofMillis(9999))).isEqualTo(1600);
  }

  @Test
  void policies() {
    assertThat(RestartManager.shouldRestart("no", 0, 0, 1, false)).isFalse();
    assertThat(RestartManager.shouldRestart("", 0, 0, 1, false)).isFalse();
    assertThat(RestartManager.shouldRestart("always", 0, 99, 0, true)).isTrue();
    assertThat(RestartManager.shouldRestart("unless-stopped", 0, 0, 0, false)).isTrue();
    assertThat(RestartManager.shouldRestart("unless-stopped", 0, 0, 0, true)).isFalse();
    assertThat(RestartManager.shouldRestart("on-failure", 0, 0, 0, false)).isFalse();
    assertThat(RestartManager.shouldRestart("on-failure", 0, 1000, 3, false)).isTrue();
    assertThat(RestartManager.shouldRestart("on-failure", 2, 1, 3, false)).isTrue();
    assertThat(RestartManager.shouldRestart("on-failure", 2, 2, 3, false)).isFalse();
  }

  @Test
  void validation() {
    assertThat(RestartManager.validate(hc("always", 0).get("RestartPolicy"))).isNull();
    assertThat(RestartManager.validate(hc("on-failure", 3).get("RestartPolicy"))).isNull();
    assertThat(RestartManager.validate(hc("", 5).get("RestartPolicy"))).isNull();
    assertThat(RestartManager.validate(hc("always", 3).get("RestartPolicy"))).isEqualTo("invalid restart policy: maximum retry count can only be used with 'on-failure'");
    assertThat(RestartManager.validate(hc("no", -1).get("RestartPolicy"))).endsWith("'on-failure' and cannot be negative");
    assertThat(RestartManager.validate(hc("on-failure", -1).get("RestartPolicy"))).isEqualTo("invalid restart policy: maximum retry count cannot be negative");
    assertThat(RestartManager.validate(hc("sometimes", 0).get("RestartPolicy")))
        .isEqualTo("invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'");
  }

  @Test
  void decisionsAdvanceTheBackOffAndACancelHoldsUntilAReset() throws Exception {
    RestartManager rm = new RestartManager();
    try {
      ObjectNode always = hc("always", 0);
      assertThat(rm.decide("c", always, 0, 1, false, SHORT)).isEqualTo(100);
      assertThat(rm.decide("c", always, 1, 1, false, SHORT)).isEqualTo(200);
      assertThat(rm.decide("c", always, 2, 1, false, Duration.ofSeconds(11))).isEqualTo(100);
      assertThat(rm.decide("c", hc("no", 0), 0, 1, false, SHORT)).isEqualTo(-1);
      // scheduled, then cancelled: never runs
      CountDownLatch ran = new CountDownLatch(1);
      rm.schedule("c", 300, ran::countDown);
      assertThat(rm.cancel("c")).isTrue();
      assertThat(ran.await(800, TimeUnit.MILLISECONDS)).isFalse();
      assertThat(rm.decide("c", always, 0, 1, false, SHORT)).as("cancelled by the user").isEqualTo(-1);
      rm.reset("c");
      assertThat(rm.decide("c", always, 0, 1, false, SHORT)).isEqualTo(100);
      rm.schedule("c", 10, ran::countDown);
      assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
    } finally {
      rm.close();
    }
  }
}
