package dev.berth.runtime.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 9: the plan cache was bounded by entries (256) only; one 100 MB config left a 210 MB template. */
class WarmPathTest {
  @TempDir Path cache;

  List<String> plans() throws Exception {
    try (Stream<Path> s = Files.list(cache)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  long bytes() throws Exception {
    try (Stream<Path> s = Files.list(cache)) {
      return s.mapToLong(p -> p.toFile().length()).sum();
    }
  }

  @Test
  void aTemplateAboveTheLimitIsNotKept() throws Exception {
    WarmPath.put(cache, "big", new byte[(int) WarmPath.MAX_TEMPLATE_BYTES + 1]);
    WarmPath.put(cache, "small", new byte[4096]);
    assertThat(plans()).containsExactly("small.plan");
  }

  @Test
  void theOldestGoWhenTheCacheHoldsTooManyBytes() throws Exception {
    int size = (int) WarmPath.MAX_TEMPLATE_BYTES;
    int n = (int) (WarmPath.MAX_CACHE_BYTES / size) + 5;
    for (int i = 0; i < n; i++) {
      WarmPath.put(cache, String.format("t%03d", i), new byte[size]);
      Files.setLastModifiedTime(cache.resolve(String.format("t%03d.plan", i)), FileTime.fromMillis(1_000_000L * (i + 1)));
    }
    assertThat(bytes()).isLessThanOrEqualTo(WarmPath.MAX_CACHE_BYTES);
    List<String> left = plans();
    assertThat(left).hasSize((int) (WarmPath.MAX_CACHE_BYTES / size)).doesNotContain("t000.plan", "t004.plan")
        .contains(String.format("t%03d.plan", n - 1));
    assertThat(left).noneMatch(f -> f.endsWith(".tmp"));
  }

  @Test
  void theOldestGoWhenThereAreTooMany() throws Exception {
    for (int i = 0; i < WarmPath.MAX_TEMPLATES + 3; i++) {
      Path f = cache.resolve(String.format("t%03d.plan", i));
      Files.write(f, new byte[16]);
      Files.setLastModifiedTime(f, FileTime.fromMillis(1_000_000L * (i + 1)));
    }
    WarmPath.trim(cache);
    assertThat(plans()).hasSize(WarmPath.MAX_TEMPLATES).doesNotContain("t000.plan", "t001.plan", "t002.plan")
        .contains("t003.plan");
  }
}
