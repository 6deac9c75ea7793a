package dev.berth.engine.containers;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContainerModelTest {
  @TempDir Path tmp;

  @Test
  void recordRoundTripsAndIsWrittenAtomically() throws Exception {
    Container c = new Container("b".repeat(64), "/web", "2026-01-01T00:00:00.5Z", tmp);
    c.path = "sleep";
    c.args = List.of("1000");
    c.config = (com.fasterxml.jackson.databind.node.ObjectNode) Container.M.readTree("{\"Image\":\"busybox\",\"Tty\":false}");
    c.hostConfig = (com.fasterxml.jackson.databind.node.ObjectNode) Container.M.readTree("{\"AutoRemove\":true}");
    c.image = "sha256:" + "c".repeat(64);
    c.imageRef = "busybox";
    c.status = "exited";
    c.exitCode = 3;
    c.restartCount = 2;
    byte[] b = Container.M.writeValueAsBytes(c.toJson());
    ContainerEngine.writeAtomic(tmp.resolve("container.json"), b);
    assertThat(tmp.resolve(".container.json.tmp")).doesNotExist();
    Container back = Container.fromJson(Container.M.readTree(tmp.resolve("container.json").toFile()), tmp);
    assertThat(back.toJson()).isEqualTo(c.toJson());
    assertThat(back.stateJson().path("Running").asBoolean()).isFalse();
    assertThat(back.stateJson().path("ExitCode").asInt()).isEqualTo(3);
    assertThat(back.logPath().getFileName().toString()).isEqualTo("b".repeat(64) + "-json.log");
  }

  @Test
  void statusTextAsDocker() {
    assertThat(ContainerEngine.human(Duration.ofMillis(300))).isEqualTo("Less than a second");
    assertThat(ContainerEngine.human(Duration.ofSeconds(5))).isEqualTo("5 seconds");
    assertThat(ContainerEngine.human(Duration.ofSeconds(70))).isEqualTo("About a minute");
    assertThat(ContainerEngine.human(Duration.ofMinutes(5))).isEqualTo("5 minutes");
    assertThat(ContainerEngine.human(Duration.ofHours(3))).isEqualTo("3 hours");
    assertThat(ContainerEngine.withTag("busybox")).isEqualTo("busybox:latest");
    assertThat(ContainerEngine.withTag("localhost:5000/x")).isEqualTo("localhost:5000/x:latest");
    assertThat(ContainerEngine.withTag("x:1")).isEqualTo("x:1");
  }

  @Test
  void jsonLogReadIncrementallyAndFiltered() throws Exception {
    Path log = tmp.resolve("l.json");
    String l1 = "{\"log\":\"a\\n\",\"stream\":\"stdout\",\"time\":\"2026-01-01T00:00:01.000000001Z\"}\n";
    String l2 = "{\"log\":\"b\\n\",\"stream\":\"stderr\",\"time\":\"2026-01-01T00:00:02Z\"}\n";
    Files.writeString(log, l1 + l2.substring(0, 10), StandardCharsets.UTF_8);
    try (JsonLog.Reader r = new JsonLog.Reader(log, 0)) {
      List<JsonLog.Entry> first = r.poll();
      assertThat(first).hasSize(1);
      assertThat(new String(first.get(0).data(), StandardCharsets.UTF_8)).isEqualTo("a\n");
      assertThat(first.get(0).stream()).isEqualTo(1);
      assertThat(r.poll()).isEmpty(); // a torn line waits for its end
      Files.writeString(log, l2.substring(10) + "garbage\n", java.nio.file.StandardOpenOption.APPEND);
      List<JsonLog.Entry> second = r.poll();
      assertThat(second).hasSize(1);
      assertThat(second.get(0).stream()).isEqualTo(2);
    }
    assertThat(JsonLog.read(log, null, null, 1)).hasSize(1);
    assertThat(JsonLog.read(log, Instant.parse("2026-01-01T00:00:01.5Z"), null, -1)).hasSize(1);
    assertThat(JsonLog.read(log, null, Instant.parse("2026-01-01T00:00:01.5Z"), -1)).hasSize(1);
    assertThat(JsonLog.read(tmp.resolve("none"), null, null, -1)).isEmpty();
  }
}
