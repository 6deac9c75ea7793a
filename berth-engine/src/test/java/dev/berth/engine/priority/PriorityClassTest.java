package dev.berth.engine.priority;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class PriorityClassTest {
  static final ObjectMapper M = new ObjectMapper();

  @Test void namesAndNumbers() throws Exception {
    assertThat(PriorityClass.parse("latency-critical").latencyCritical()).isTrue();
    assertThat(PriorityClass.parse("best-effort").bestEffort()).isTrue();
    assertThat(PriorityClass.parse("75").latencyCritical()).isTrue();
    assertThat(PriorityClass.parse("49").bestEffort()).isTrue();
    assertThat(PriorityClass.parse("100")).isEqualTo(PriorityClass.LATENCY_CRITICAL);
    assertThat(PriorityClass.parse("100").name()).isEqualTo("latency-critical");
    assertThat(PriorityClass.of(M.readTree("{\"a\":\"b\"}"))).isNull();
    assertThat(PriorityClass.of(null)).isNull();
    assertThat(PriorityClass.of(M.readTree("{\"berth.priority\":\"best-effort\"}"))).isEqualTo(PriorityClass.BEST_EFFORT);
  }

  @Test void badValuesNameTheLabelAndTheAllowedValues() {
    for (String bad : new String[] {"urgent", "", "101", "-1", "1.5", "latency_critical"}) {
      assertThatThrownBy(() -> PriorityClass.parse(bad))
          .hasMessage("invalid label berth.priority=" + bad + ": allowed values are latency-critical, best-effort or a number 0..100");
    }
  }
}
