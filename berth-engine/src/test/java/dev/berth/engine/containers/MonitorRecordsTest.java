package dev.berth.engine.containers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.runtime.state.ProcRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MonitorRecordsTest {
  @TempDir Path dir;

  static String line(ProcRecord r) { return r.pid() + " " + r.startTicks() + "\n"; }

  @Test
  void recordsAreReadOnceBothAreThereAndLivenessAtEachCall() throws Exception {
    MonitorRecords m = new MonitorRecords();
    assertFalse(m.alive("c1", dir), "no records: not alive");
    Files.writeString(dir.resolve("keeper"), line(ProcRecord.of(ProcessHandle.current().pid())));
    assertTrue(m.alive("c1", dir));
    assertEquals(0, m.size(), "the monitor's record is not there yet: read again next time");
    Files.writeString(dir.resolve("monitor"), line(ProcRecord.of(ProcessHandle.current().pid())));
    assertTrue(m.alive("c1", dir));
    assertEquals(1, m.size());
    // the files are not read again while the run lasts ...
    Files.delete(dir.resolve("keeper"));
    Files.delete(dir.resolve("monitor"));
    assertTrue(m.alive("c1", dir));
    // ... until it ends
    m.forget("c1");
    assertFalse(m.alive("c1", dir));
  }

  @Test
  void aRecordOfAnEndedProcessIsNotAlive() throws Exception {
    Process p = new ProcessBuilder("true").start();
    ProcRecord r = ProcRecord.of(p.pid());
    p.waitFor();
    String dead = r == null ? "999999999 1\n" : line(r);
    Files.writeString(dir.resolve("keeper"), dead);
    Files.writeString(dir.resolve("monitor"), dead);
    MonitorRecords m = new MonitorRecords();
    assertFalse(m.alive("c2", dir));
    assertEquals(1, m.size());
    assertFalse(m.alive("c2", dir), "checked again at each call, not cached as alive");
  }
}
