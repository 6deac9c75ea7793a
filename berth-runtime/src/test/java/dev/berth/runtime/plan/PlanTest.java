package dev.berth.runtime.plan;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PlanTest {
  @Test
  void encodesRecordsAsDocumented() {
    byte[] b = new Plan().add(PlanTag.ACTION, "run").add(PlanTag.ARGS, "echo", "hi").encode();
    ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    byte[] magic = new byte[8];
    buf.get(magic);
    assertThat(new String(magic, StandardCharsets.US_ASCII)).isEqualTo("BERTHPL1");
    assertThat(buf.getInt()).isEqualTo(2);
    assertThat(buf.getShort()).isEqualTo((short) 1);
    assertThat(buf.getShort()).isEqualTo((short) 1);
    assertThat(buf.getInt()).isEqualTo(3);
    byte[] run = new byte[3];
    buf.get(run);
    assertThat(new String(run, StandardCharsets.UTF_8)).isEqualTo("run");
    assertThat(buf.get()).isZero();
    assertThat(buf.getShort()).isEqualTo((short) 21);
    assertThat(buf.getShort()).isEqualTo((short) 2);
    assertThat(buf.getInt()).isEqualTo(4);
    buf.position(buf.position() + 5);
    assertThat(buf.getInt()).isEqualTo(2);
    buf.position(buf.position() + 3);
    assertThat(buf.remaining()).isZero();
  }

  @Test
  void tagNumbersMatchTheCHeader() throws Exception {
    String header = java.nio.file.Files.readString(java.nio.file.Path.of("../berth-native/src/main/c/plan.h"));
    for (PlanTag t : PlanTag.values()) {
      assertThat(header).as("plan.h defines T_%s = %d", t.name(), t.number).containsPattern("T_" + t.name() + " = " + t.number + ",");
    }
  }
}
