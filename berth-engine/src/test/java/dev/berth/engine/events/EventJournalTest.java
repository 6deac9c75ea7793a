package dev.berth.engine.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EventJournalTest {
  @TempDir Path dir;

  private static EventBus.Event ev(String action, long t) {
    return new EventBus.Event("container", action, "c1", Map.of("name", "x"), t);
  }

  @Test
  void eventsSurviveAReopenAndReplayBetweenSinceAndUntil() throws Exception {
    EventBus bus = new EventBus();
    EventJournal j = EventJournal.open(dir, bus);
    for (int i = 1; i <= 5; i++) bus.publish(ev("a" + i, i * 1000L));
    j.close();
    EventJournal k = EventJournal.open(dir, new EventBus());
    List<String> got = new ArrayList<>();
    k.follow(2000, 4000, false, e -> got.add(e.action()));
    assertThat(got).containsExactly("a2", "a3", "a4");
    assertThat(k.events()).hasSize(5);
    assertThat(k.events().get(0).attributes()).containsEntry("name", "x");
    k.close();
  }

  @Test
  void aTornLastLineIsCutOffAndAppendsStartOnANewLine() throws Exception {
    EventBus bus = new EventBus();
    EventJournal j = EventJournal.open(dir, bus);
    bus.publish(ev("ok", 1));
    j.close();
    Files.write(dir.resolve("events.log"), "{\"type\":\"container\",\"act".getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);
    EventBus bus2 = new EventBus();
    EventJournal k = EventJournal.open(dir, bus2);
    bus2.publish(ev("after", 2));
    k.close();
    List<String> lines = Files.readAllLines(dir.resolve("events.log"));
    assertThat(lines).hasSize(2);
    assertThat(lines.get(1)).contains("\"after\"");
    assertThat(EventJournal.open(dir, new EventBus()).events()).extracting(EventBus.Event::action).containsExactly("ok", "after");
  }

  @Test
  void theFilesAreBoundedByRotation() throws Exception {
    EventBus bus = new EventBus();
    EventJournal j = new EventJournal(dir, 2000, 50);
    bus.subscribe(j::append);
    for (int i = 0; i < 500; i++) bus.publish(ev("e" + i, i));
    j.close();
    assertThat(Files.size(dir.resolve("events.log"))).isLessThan(2000 + 300);
    assertThat(Files.size(dir.resolve("events.log.1"))).isLessThan(2000 + 300);
    assertThat(j.events()).hasSize(50);
    assertThat(j.events().getLast().action()).isEqualTo("e499");
  }

  @Test
  void followSeesEachNewEventOnceAndStopsWhenClosed() throws Exception {
    EventBus bus = new EventBus();
    EventJournal j = EventJournal.open(dir, bus);
    bus.publish(ev("old", 10));
    List<String> got = new ArrayList<>();
    AutoCloseable s = j.follow(1, 0, true, e -> got.add(e.action()));
    bus.publish(ev("new", 20));
    assertThat(j.followers()).isEqualTo(1);
    s.close();
    bus.publish(ev("late", 30));
    assertThat(got).containsExactly("old", "new");
    assertThat(j.followers()).isZero();
    j.close();
  }
}
