package dev.berth.engine.containers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

class LogOptionsTest {
  private static final ObjectMapper M = new ObjectMapper();

  private static LogOptions of(String json) throws Exception {
    return LogOptions.of(M.readTree(json));
  }

  private static LogOptions opts(String maxSize, String maxFile) throws Exception {
    ObjectNode c = M.createObjectNode();
    if (maxSize != null) c.put("max-size", maxSize);
    if (maxFile != null) c.put("max-file", maxFile);
    ObjectNode lc = M.createObjectNode().put("Type", "json-file");
    lc.set("Config", c);
    return LogOptions.of(lc);
  }

  @Test
  void sizesAreDecimalAsGoUnitsFromHumanSize() throws Exception {
    assertThat(opts("10k", null).maxSize()).isEqualTo(10_000);
    assertThat(opts("1m", "3")).isEqualTo(new LogOptions(1_000_000, 3));
    assertThat(opts("1g", null).maxSize()).isEqualTo(1_000_000_000L);
    assertThat(opts("1K", null).maxSize()).isEqualTo(1000);
    assertThat(opts("2kb", null).maxSize()).isEqualTo(2000);
    assertThat(opts("2KiB", null).maxSize()).isEqualTo(2000);
    assertThat(opts("1.5m", null).maxSize()).isEqualTo(1_500_000);
    assertThat(opts("512", null).maxSize()).isEqualTo(512);
    assertThat(opts("100b", null).maxSize()).isEqualTo(100);
    assertThat(opts("3 m", null).maxSize()).isEqualTo(3_000_000);
  }

  @Test
  void defaultsWithoutOptions() throws Exception {
    assertThat(LogOptions.of(null)).isEqualTo(LogOptions.NONE);
    assertThat(of("{}")).isEqualTo(LogOptions.NONE);
    assertThat(of("{\"Type\":\"\",\"Config\":{}}")).isEqualTo(LogOptions.NONE);
    assertThat(of("{\"Type\":\"json-file\",\"Config\":null}")).isEqualTo(LogOptions.NONE);
    assertThat(opts(null, "5")).as("max-file without max-size: no rotation, as json-file").isEqualTo(new LogOptions(0, 5));
    assertThat(of("{\"Config\":{\"compress\":\"false\",\"tag\":\"x\",\"labels\":\"a\",\"env\":\"B\"}}")).isEqualTo(LogOptions.NONE);
  }

  @Test
  void badValuesGetDockerdsMessages() {
    assertThatThrownBy(() -> opts("abc", null)).hasMessage("invalid size: 'abc'");
    assertThatThrownBy(() -> opts("10x", null)).hasMessage("invalid suffix: 'x'");
    assertThatThrownBy(() -> opts("10kx", null)).hasMessage("invalid suffix: 'kx'");
    assertThatThrownBy(() -> opts("10mib2", null)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> opts("1.2.3k", null)).hasMessage("strconv.ParseFloat: parsing \"1.2.3\": invalid syntax");
    assertThatThrownBy(() -> opts("-1", null)).hasMessage("invalid size: '-1'");
    assertThatThrownBy(() -> opts("0", null)).hasMessage("max-size must be a positive number");
    assertThatThrownBy(() -> opts("0.0001k", null)).hasMessage("max-size must be a positive number");
    assertThatThrownBy(() -> opts("1k", "0")).hasMessage("max-file cannot be less than 1");
    assertThatThrownBy(() -> opts("1k", "two")).hasMessage("strconv.Atoi: parsing \"two\": invalid syntax");
    assertThatThrownBy(() -> of("{\"Config\":{\"max-sise\":\"1k\"}}")).hasMessage("unknown log opt 'max-sise' for json-file log driver");
    assertThatThrownBy(() -> of("{\"Config\":{\"compress\":\"maybe\"}}")).hasMessage("strconv.ParseBool: parsing \"maybe\": invalid syntax");
    assertThatThrownBy(() -> of("{\"Config\":{\"max-size\":\"1k\",\"compress\":\"true\"}}"))
        .hasMessage("compress cannot be true when max-file is less than 2 or max-size is not set");
    assertThatThrownBy(() -> of("{\"Config\":{\"max-size\":\"1k\",\"max-file\":\"2\",\"compress\":\"true\"}}"))
        .hasMessageContaining("compress=false");
    assertThatThrownBy(() -> of("{\"Type\":\"syslog\"}")).hasMessageContaining("no log driver named 'syslog'");
    assertThatThrownBy(() -> of("{\"Config\":{\"max-size\":10}}")).hasMessageContaining("must be a string");
  }

  @Test
  void normalizeFillsTheDriverForInspect() throws Exception {
    ObjectNode hc = (ObjectNode) M.readTree("{\"LogConfig\":{\"Type\":\"\",\"Config\":{\"max-size\":\"1k\"}}}");
    LogOptions.normalize(hc);
    assertThat(hc.get("LogConfig").toString()).isEqualTo("{\"Type\":\"json-file\",\"Config\":{\"max-size\":\"1k\"}}");
    ObjectNode none = M.createObjectNode();
    LogOptions.normalize(none);
    assertThat(none.get("LogConfig").toString()).isEqualTo("{\"Type\":\"json-file\",\"Config\":{}}");
  }
}
