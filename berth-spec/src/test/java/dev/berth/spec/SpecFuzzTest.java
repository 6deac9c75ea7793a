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
 * to the same value.
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
      SpecValidator.validate(Spec.of(Node.root(tree)));
    } catch (SpecException e) {
      checkMessage(e);
    }
    try {
      SpecValidator.validateProcess(Process.of(Node.root(tree)), "process");
    } catch (SpecException e) {
      checkMessage(e);
    }
  }

  private static void checkMessage(SpecException e) {
    assertThat(e.getMessage()).isNotBlank();
    assertThat(e.field()).isNotNull();
  }
}
