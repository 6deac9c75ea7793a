package dev.berth.api.tc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.TestBerthd;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Testcontainers 1.21 (docker-java underneath) against berthd, unchanged: DOCKER_HOST points at a
 * berthd of the test's own; Ryuk is disabled (it needs the daemon's socket mounted into a container
 * of its image, which cannot be pulled here) and so are the start-up checks (they pull alpine).
 */
class ThroughTestcontainersIT {
  @Test
  void aTestcontainersUserStartsExecsCopiesAndStops() throws Exception {
    try (TestBerthd d = TestBerthd.start("tc")) {
      Path home = Files.createDirectories(d.tmp().resolve("tc-home"));
      Path out = d.tmp().resolve("probe.out");
      ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-cp", System.getProperty("java.class.path"), TestcontainersProbe.class.getName(), TestBerthd.IMAGE)
          .redirectErrorStream(true).redirectOutput(out.toFile());
      pb.environment().put("DOCKER_HOST", "unix://" + d.socket());
      pb.environment().put("HOME", home.toString()); // Testcontainers reads and writes ~/.testcontainers.properties
      pb.environment().put("TESTCONTAINERS_RYUK_DISABLED", "true");
      pb.environment().put("TESTCONTAINERS_CHECKS_DISABLE", "true");
      // this machine has a /.dockerenv, so Testcontainers would think it runs in a container and
      // start alpine to find the gateway; the published ports are on this host
      pb.environment().put("TESTCONTAINERS_HOST_OVERRIDE", "localhost");
      pb.environment().remove("DOCKER_CONFIG");
      Process p = pb.start();
      boolean ended = p.waitFor(240, TimeUnit.SECONDS);
      if (!ended) p.destroyForcibly();
      String text = Files.readString(out);
      assertThat(ended).as("probe ended: %s", text).isTrue();
      assertThat(p.exitValue()).as("probe: %s", text).isZero();
      List<String> lines = text.lines().filter(l -> !l.startsWith("[")).toList();
      assertThat(text).contains("exec exit 3 out hello from berth", "cat copied in", "copied out copied in", "logs tc-ready",
          "inspect label testcontainers", "closed");
      assertThat(lines).anyMatch(l -> l.matches("started [0-9a-f]{64} running true"));
      // GenericContainer.close removed it: nothing left behind
      assertThat(d.docker("ps", "-aq").ok().out()).isBlank();
    }
  }
}
