package dev.berth.runtime.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The record berth-native verbs.c reads: its tags (plan.h 52-55), fields and order. */
class VerbsRecordTest {
  record Rec(int tag, List<String> fields) {}

  static List<Rec> decode(byte[] b) {
    ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    byte[] magic = new byte[8];
    buf.get(magic);
    assertThat(new String(magic, StandardCharsets.US_ASCII)).isEqualTo("BERTHPL1");
    int n = buf.getInt();
    List<Rec> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int tag = buf.getShort(), nf = buf.getShort();
      List<String> fs = new ArrayList<>();
      for (int f = 0; f < nf; f++) {
        byte[] v = new byte[buf.getInt()];
        buf.get(v);
        assertThat(buf.get()).isZero();
        fs.add(new String(v, StandardCharsets.UTF_8));
      }
      out.add(new Rec(tag, fs));
    }
    assertThat(buf.hasRemaining()).isFalse();
    return out;
  }

  @Test
  void holdsTheStateFieldsAnnotationsInOrderCgroupsAndHooks() {
    Map<String, String> ann = new LinkedHashMap<>();
    ann.put("z", "last \"quoted\"");
    ann.put("a", "é");
    var r = new ContainerRecord("c1", "/b", "/b/rootfs", "2026-12-05T12:00:00.123456789Z", "", "/berth/c1", "root", true, ann);
    var layout = dev.berth.cgroups.CgroupLayout.parse("""
        31 30 0:28 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
        32 30 0:29 / /sys/fs/cgroup/freezer rw - cgroup cgroup rw,freezer
        33 30 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct
        40 30 0:37 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw
        """, "0::/\n");
    var recs = decode(VerbsRecord.encode(r, List.of(Path.of("/sys/fs/cgroup/memory/berth/c1"),
        Path.of("/sys/fs/cgroup/freezer/berth/c1"), Path.of("/sys/fs/cgroup/cpu,cpuacct/berth/c1"),
        Path.of("/sys/fs/cgroup/unified/berth/c1")), layout, false, true));
    assertThat(recs).containsExactly(
        new Rec(52, List.of("1.2.0", "c1", "/b", "/b/rootfs", "2026-12-05T12:00:00.123456789Z", "root", "1")),
        new Rec(53, List.of("z", "last \"quoted\"")),
        new Rec(53, List.of("a", "é")),
        new Rec(54, List.of("/sys/fs/cgroup/memory/berth/c1")),
        new Rec(54, List.of("/sys/fs/cgroup/freezer/berth/c1")),
        new Rec(54, List.of("/sys/fs/cgroup/cpu,cpuacct/berth/c1")),
        new Rec(54, List.of("/sys/fs/cgroup/unified/berth/c1")),
        new Rec(55, List.of("0", "1")),
        new Rec(58, List.of("memory", "/sys/fs/cgroup/memory/berth/c1")),
        new Rec(58, List.of("freezer", "/sys/fs/cgroup/freezer/berth/c1")),
        new Rec(58, List.of("cpu,cpuacct", "/sys/fs/cgroup/cpu,cpuacct/berth/c1")),
        new Rec(58, List.of("", "/sys/fs/cgroup/unified/berth/c1")));
  }

  @Test
  void aCgroupDirectoryUnderNoCgroupMountIsRefused() {
    var r = new ContainerRecord("c1", "/b", "/b/rootfs", "2026-12-05T12:00:00Z", "", "/berth/c1", "root", false, Map.of());
    var layout = dev.berth.cgroups.CgroupLayout.fakeV2(Path.of("/sys/fs/cgroup"));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> VerbsRecord.encode(r, List.of(Path.of("/tmp/c1")), layout, false, false))
        .hasMessageContaining("/tmp/c1 is under no cgroup mount");
  }
}
