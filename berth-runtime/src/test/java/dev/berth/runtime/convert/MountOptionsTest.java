package dev.berth.runtime.convert;

import static dev.berth.sys.Linux.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class MountOptionsTest {
  @Test
  void flagsPropagationAndData() {
    MountOptions o = MountOptions.parse(List.of("nosuid", "noexec", "rbind", "ro", "rslave", "mode=755", "size=1m"));
    assertThat(o.flags()).isEqualTo(MS_NOSUID | MS_NOEXEC | MS_BIND | MS_REC | MS_RDONLY);
    assertThat(o.propagation()).isEqualTo(MS_SLAVE | MS_REC);
    assertThat(o.data()).isEqualTo("mode=755,size=1m");
  }

  @Test
  void laterOptionsClearEarlierOnes() {
    assertThat(MountOptions.parse(List.of("ro", "rw", "nodev", "dev")).flags()).isZero();
    assertThat(MountOptions.parse(List.of("rro")).flags()).isEqualTo(MS_RDONLY);
    assertThat(MountOptions.parse(List.of("relatime")).flags()).isEqualTo(MS_RELATIME);
  }
}
