package dev.berth.engine.drift;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DriftPolicyTest {
  static final ObjectMapper M = new ObjectMapper();

  @Test
  void theLabelHasOneValue() throws Exception {
    assertThat(DriftPolicy.of(M.readTree("{\"berth.drift\":\"deny-exec\"}"))).isEqualTo(DriftPolicy.DENY_EXEC);
    assertThat(DriftPolicy.of(M.readTree("{\"other\":\"x\"}"))).isNull();
    assertThat(DriftPolicy.of(null)).isNull();
    assertThatThrownBy(() -> DriftPolicy.of(M.readTree("{\"berth.drift\":\"deny\"}")))
        .hasMessage("invalid label berth.drift=deny: allowed values are deny-exec");
    assertThat(DriftPolicy.ofOrNull(M.readTree("{\"berth.drift\":\"\"}"))).isNull();
  }

  @Test
  void aFileIsDriftWhenTheUpperDirHoldsItAsARegularFile(@TempDir Path upper) throws Exception {
    Files.createDirectories(upper.resolve("tmp"));
    Files.writeString(upper.resolve("tmp/x"), "elf");
    Files.createSymbolicLink(upper.resolve("link"), Path.of("/bin/sh"));
    String rootfs = "/var/lib/berth/containers/abc/rootfs";
    assertThat(ExecGuard.inUpper(upper, rootfs, "/tmp/x")).isTrue();
    assertThat(ExecGuard.inUpper(upper, rootfs, rootfs + "/tmp/x")).isTrue();   // named through berthd's mount
    assertThat(ExecGuard.inUpper(upper, rootfs, "/tmp/x (deleted)")).isTrue();
    assertThat(ExecGuard.inUpper(upper, rootfs, "/bin/busybox")).isFalse();     // the image's
    assertThat(ExecGuard.inUpper(upper, rootfs, "/tmp")).isFalse();             // a directory
    assertThat(ExecGuard.inUpper(upper, rootfs, "/link")).isFalse();            // a symlink is not what runs
    assertThat(ExecGuard.inUpper(upper, rootfs, "/../../etc/passwd")).isFalse();
    assertThat(ExecGuard.inUpper(upper, rootfs, "anon_inode:[x]")).isFalse();
  }
}
