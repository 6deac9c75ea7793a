package dev.berth.engine.volumes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.engine.containers.EngineException;
import dev.berth.engine.events.EventBus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VolumeServiceTest {
  @TempDir Path dir;

  @Test
  void createPersistsAndAReopenFindsItAgain() throws Exception {
    EventBus bus = new EventBus();
    List<String> events = new ArrayList<>();
    bus.subscribe(e -> events.add(e.type() + " " + e.action() + " " + e.actorId()));
    VolumeService v = new VolumeService(dir, bus);
    assertThat(v.create("data", "", Map.of(), Map.of("k", "v")).created()).isTrue();
    assertThat(v.create("data", "local", Map.of(), Map.of()).created()).isFalse();
    Files.writeString(v.data("data").resolve("f"), "12345");
    VolumeService again = new VolumeService(dir, new EventBus());
    assertThat(again.get("data").labels()).containsEntry("k", "v");
    assertThat(again.size("data")).isEqualTo(5);
    assertThat(again.json(again.get("data")).path("Mountpoint").asText()).isEqualTo(dir.resolve("data/_data").toString());
    assertThat(events).containsExactly("volume create data");
  }

  @Test
  void badInputIsRefusedAndLeavesNothing() throws Exception {
    VolumeService v = new VolumeService(dir, new EventBus());
    assertThatThrownBy(() -> v.create("b@d", "", Map.of(), Map.of())).hasMessageContaining("invalid characters");
    assertThatThrownBy(() -> v.create("xx", "", Map.of("colour", "red"), Map.of())).hasMessageContaining("invalid option: \"colour\"");
    assertThatThrownBy(() -> v.create("xx", "nfs-plugin", Map.of(), Map.of())).hasMessageContaining("plugin");
    assertThatThrownBy(() -> v.get("nope")).hasMessage("get nope: no such volume");
    try (var s = Files.list(dir)) {
      assertThat(s.toList()).isEmpty();
    }
  }

  @Test
  void inUseIsAConflictAndPruneTakesOnlyUnusedAnonymousByDefault() throws Exception {
    VolumeService v = new VolumeService(dir, new EventBus());
    v.create("named", "", Map.of(), Map.of());
    v.create("anon", "", Map.of(), Map.of(VolumeService.ANONYMOUS, ""));
    v.create("used", "", Map.of(), Map.of(VolumeService.ANONYMOUS, ""));
    v.users(n -> n.equals("used") ? List.of("c1") : List.of());
    assertThatThrownBy(() -> v.remove("used", true)).isInstanceOf(EngineException.class).hasMessageContaining("volume is in use - [c1]");
    assertThat(v.prune(false, null, null).names()).containsExactly("anon");
    assertThat(v.prune(true, null, null).names()).containsExactly("named");
    assertThat(v.list()).extracting(VolumeService.Volume::name).containsExactly("used");
    try (var s = Files.list(dir)) {
      assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactly("used");
    }
  }

  @Test
  void aCreateThatDidNotFinishIsRemovedAndAnOldDirectoryAdopted() throws Exception {
    Files.createDirectories(dir.resolve("half"));
    Files.createDirectories(dir.resolve("old/_data"));
    Files.createDirectories(dir.resolve(".removing-gone-1234/_data"));
    VolumeService v = new VolumeService(dir, new EventBus());
    assertThat(v.list()).extracting(VolumeService.Volume::name).containsExactly("old");
    assertThat(Files.exists(dir.resolve("half"))).isFalse();
    assertThat(Files.exists(dir.resolve(".removing-gone-1234"))).isFalse();
    assertThat(Files.isRegularFile(dir.resolve("old/volume.json"))).isTrue();
  }

  @Test
  void aVolumesOwnMountIsMadeOnceAndARefusalIsReportedWithTheVolume() throws Exception {
    var sys = new dev.berth.sys.RecordingSyscalls();
    VolumeService v = new VolumeService(dir, new EventBus(), sys);
    v.create("tvol", "", Map.of("type", "tmpfs", "device", "tmpfs", "o", "size=1m,uid=7"), Map.of());
    v.create("bvol", "", Map.of("type", "none", "device", "/srv/x", "o", "rbind"), Map.of());
    v.mounted("tvol", "c1", "/data", true, "");
    v.mounted("bvol", "c1", "/b", true, "");
    String t = v.data("tvol").toString(), b = v.data("bvol").toString();
    assertThat(sys.log()).containsExactly("mount tmpfs " + t + " tmpfs 0 size=1m,uid=7",
        "mount /srv/x " + b + " null " + (dev.berth.sys.Linux.MS_BIND | dev.berth.sys.Linux.MS_REC) + " null");

    sys.failOn("mount", dev.berth.sys.Errno.EPERM);
    v.create("uvol", "", Map.of("type", "tmpfs", "device", "tmpfs"), Map.of());
    assertThatThrownBy(() -> v.mounted("uvol", "c2", "/u", true, "")).isInstanceOf(EngineException.class)
        .hasMessageContaining("error while mounting volume '" + v.data("uvol") + "'").hasMessageContaining("EPERM");
    // a volume without options is the directory itself: nothing mounted
    v.create("plain", "", Map.of(), Map.of());
    v.mounted("plain", "c3", "/p", true, "");
    assertThat(sys.names()).containsExactly("mount", "mount", "mount");
  }
}
