package dev.berth.runtime.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What state says about a container whose creator or monitor was killed (the records in its directory). */
class ContainerCrashTest {
  @TempDir Path root;

  static final ProcRecord SELF = ProcRecord.of(ProcessHandle.current().pid());
  /** This pid with another start time: the pid of a process that is gone, now reused. */
  static final ProcRecord REUSED = new ProcRecord(SELF.pid(), SELF.startTicks() + 1);

  Container container(boolean monitored) {
    StateStore store = new StateStore(root);
    store.reserve("c");
    store.save(new ContainerRecord("c", "/b", "/b/rootfs", Instant.now().toString(), "1.2.0", "/berth/c", "root",
        monitored, Map.of()));
    return store.load("c");
  }

  @Test
  void withoutAPidFileItIsCreatingOnlyWhileItsCreatorLives() throws Exception {
    Container c = container(false);
    new StateStore(root).saveProcs("c", "creator", List.of(SELF));
    assertThat(c.baseStatus()).isEqualTo(Status.CREATING);
    new StateStore(root).saveProcs("c", "creator", List.of(REUSED));
    assertThat(c.baseStatus()).as("killed creator, even a young one").isEqualTo(Status.STOPPED);
  }

  @Test
  void exitStatusIsUnknownOnlyOnceMonitorKeeperAndInitAreAllGone() throws Exception {
    Container c = container(true);
    Process init = new ProcessBuilder("sleep", "30").start();
    try {
      Files.writeString(c.dir().resolve("pid"), Long.toString(init.pid()));
      new StateStore(root).saveProcs("c", "monitor", List.of(REUSED));
      new StateStore(root).saveProcs("c", "keeper", List.of(SELF));
      assertThat(c.exitStatus()).as("the keeper will record it").isNull();
      new StateStore(root).saveProcs("c", "keeper", List.of(REUSED));
      assertThat(c.exitStatus()).as("the init still runs").isNull();
      init.destroyForcibly().waitFor();
      assertThat(c.exitStatus()).isEqualTo(Container.EXIT_UNKNOWN);
      Files.writeString(c.dir().resolve("exit"), "signaled 9\n");
      assertThat(c.exitStatus()).isEqualTo("signaled 9");
    } finally {
      init.destroyForcibly();
    }
  }

  @Test
  void removeTakesFilesThatAppearWhileItRuns() throws Exception {
    container(false);
    Path dir = root.resolve("c");
    Thread writer = Thread.ofPlatform().start(() -> {
      for (int i = 0; i < 2000; i++) {
        try {
          Files.writeString(dir.resolve(".exit.tmp" + i), "x");
        } catch (java.io.IOException gone) {
          return;
        }
      }
    });
    new StateStore(root).remove("c");
    writer.join();
    assertThat(dir).doesNotExist();
  }
}
