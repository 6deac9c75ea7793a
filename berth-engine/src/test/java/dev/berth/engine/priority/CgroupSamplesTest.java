package dev.berth.engine.priority;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The parsers over files in the kernel's formats (the real files are read in PriorityIT). */
class CgroupSamplesTest {
  @Test void psiAndFields(@TempDir Path tmp) throws Exception {
    assertThat(CgroupSamples.psiSomeTotal("some avg10=72.54 avg60=29.49 avg300=8.07 total=8687416047\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"))
        .isEqualTo(8687416047L);
    assertThat(CgroupSamples.psiSomeTotal("")).isEqualTo(-1);
    assertThat(CgroupSamples.field("usage_usec 123\nuser_usec 100\n", "usage_usec")).isEqualTo(123);
    assertThat(CgroupSamples.field("total_inactive_file_x 1\ntotal_inactive_file 42\n", "total_inactive_file")).isEqualTo(42);
    Path mi = tmp.resolve("meminfo");
    Files.writeString(mi, "MemTotal:       1000 kB\nMemFree:         100 kB\nMemAvailable:    250 kB\n");
    assertThat(new CgroupSamples(mi).nodeMemory()).isEqualTo(0.75);
    assertThat(new CgroupSamples(tmp.resolve("none")).nodeMemory()).isEqualTo(-1);
  }
}
