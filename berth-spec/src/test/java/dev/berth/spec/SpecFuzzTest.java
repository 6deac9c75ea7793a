package dev.berth.spec;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes config.json (and {@code exec --process} process.json) from raw bytes through {@link Json},
 * {@link Spec#of}/{@link Process#of} and {@link SpecValidator}. The contract: any input either
 * parses and validates, or fails with a {@link SpecException} naming the field (never an NPE,
 * ClassCastException, IllegalArgumentException, StackOverflowError or OutOfMemoryError, which
 * Jazzer reports as findings), in bounded time. A parsed document renders back to JSON that parses
 * to the same value, and a validated one holds only user and group ids the kernel takes as such
 * (0..2^32-2, id mappings included).
 *
 * <p>{@code ./mvnw verify} replays the seeds in {@code SpecFuzzTestInputs/configJson} (and any
 * crash file kept there) with the unit tests, then fuzzes for {@code berth.fuzz.duration}; see
 * the module README.
 */
@Tag("fuzz-spec")
class SpecFuzzTest {
  @FuzzTest
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void configJson(byte[] input) {
    Object tree;
    try {
      tree = Json.parse(input);
    } catch (SpecException e) {
      checkMessage(e);
      return;
    }
    // The renderer is used to write and digest configs: its text must parse to the same value.
    assertThat(Json.parse(Json.render(tree).getBytes(StandardCharsets.UTF_8))).isEqualTo(tree);
    assertThat(Json.parse(Json.pretty(tree).getBytes(StandardCharsets.UTF_8))).isEqualTo(tree);
    try {
      Spec spec = SpecValidator.validate(Spec.of(Node.root(tree)));
      idsInRange(spec.process());
      mappingsInRange(spec.linux().uidMappings());
      mappingsInRange(spec.linux().gidMappings());
      for (Linux.Device d : spec.linux().devices()) {
        if (d.uid() != null) assertThat(isId(d.uid())).as("device uid %s", d.uid()).isTrue();
        if (d.gid() != null) assertThat(isId(d.gid())).as("device gid %s", d.gid()).isTrue();
      }
    } catch (SpecException e) {
      checkMessage(e);
    }
    try {
      Process p = Process.of(Node.root(tree));
      SpecValidator.validateProcess(p, "process");
      idsInRange(p);
    } catch (SpecException e) {
      checkMessage(e);
    }
  }

  /** What validated may reach setresuid/setgroups: 0..2^32-2 (2^32-1 is "unchanged", above wraps to root). */
  private static boolean isId(long id) {
    return Long.compareUnsigned(id, 0xFFFFFFFEL) <= 0;
  }

  private static void idsInRange(Process p) {
    assertThat(isId(p.user().uid())).as("uid %s", Long.toUnsignedString(p.user().uid())).isTrue();
    assertThat(isId(p.user().gid())).as("gid %s", Long.toUnsignedString(p.user().gid())).isTrue();
    for (long g : p.user().additionalGids()) assertThat(isId(g)).as("additional gid %s", Long.toUnsignedString(g)).isTrue();
  }

  private static void mappingsInRange(java.util.List<Spec.IdMapping> maps) {
    for (Spec.IdMapping m : maps) {
      assertThat(isId(m.containerID()) && isId(m.hostID()) && m.size() >= 1 && m.size() <= 1L << 32).as("mapping %s", m).isTrue();
      assertThat(isId(m.containerID() + m.size() - 1) && isId(m.hostID() + m.size() - 1)).as("mapping %s", m).isTrue();
    }
  }

  private static void checkMessage(SpecException e) {
    assertThat(e.getMessage()).isNotBlank();
    assertThat(e.field()).isNotNull();
  }
}
