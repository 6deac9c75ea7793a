package dev.berth.runtime.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.runtime.plan.Plan;
import dev.berth.runtime.plan.PlanTag;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The JVM's side of the warm path's normal form: the same rules as the launcher's fast_normalise. */
class WarmNormalTest {
  static final String ID = "3f9a0c1d2e4b5a6978", B = "/run/containerd/task/default/3f9a0c1d2e4b5a6978";

  static String text(String s, String bundle, String id) {
    byte[] r = WarmNormal.text(s.getBytes(StandardCharsets.UTF_8), bundle, id);
    return r == null ? null : new String(r, StandardCharsets.UTF_8);
  }

  @Test
  void idAndBundleStandingAloneBecomeMarks() {
    String c = "{\"hostname\":\"" + ID + "\",\"cgroupsPath\":\"/kubepods/pod1/" + ID + "\",\"src\":\"" + B + "/hosts\"}";
    assertThat(text(c, B, ID)).isEqualTo("{\"hostname\":\"@@BERTH-ID@@\",\"cgroupsPath\":\"/kubepods/pod1/@@BERTH-ID@@\","
        + "\"src\":\"@@BERTH-BUNDLE@@/hosts\"}");
  }

  @Test
  void whatCannotBeToldApartIsRefused() {
    assertThat(text("\"x" + ID + "y\"", B, ID)).as("inside a word").isNull();
    assertThat(text("\"" + ID + "-sandbox\"", B, ID)).as("a prefix").isNull();
    assertThat(text("\"/elsewhere" + B + "\"", B, ID)).as("the bundle inside a longer path").isNull();
    assertThat(text("\"c1\"", B, "c1")).as("a short id that occurs").isNull();
    assertThat(text("\"@@BERTH-ID@@\"", B, ID)).as("a mark already there").isNull();
    assertThat(text("\"other\"", B, "c1")).as("a short id that does not occur").isEqualTo("\"other\"");
  }

  @Test
  void planFieldsAreLenientKeepTheirCreatedMarkAndTheSeccompProgram() {
    byte[] bpf = ("bin" + ID).getBytes(StandardCharsets.UTF_8);
    Plan nested = new Plan().add(PlanTag.ID, "c1");
    byte[] p = new Plan().add(PlanTag.STATE_DIR, "/run/r/c1").add(PlanTag.HOSTNAME, "xc1y")
        .add(PlanTag.FAST_FILE, "/run/r/c1/verbs", nested.encode()).add(PlanTag.FAST_FILE, "/s", WarmPath.CREATED + " c1")
        .add(PlanTag.SECCOMP, bpf, 0, "").encode();
    byte[] n = WarmNormal.plan(p, B, "c1");
    byte[] want = new Plan().add(PlanTag.STATE_DIR, "/run/r/@@BERTH-ID@@").add(PlanTag.HOSTNAME, "xc1y")
        .add(PlanTag.FAST_FILE, "/run/r/@@BERTH-ID@@/verbs", new Plan().add(PlanTag.ID, WarmPath.ID).encode())
        .add(PlanTag.FAST_FILE, "/s", WarmPath.CREATED + " " + WarmPath.ID).add(PlanTag.SECCOMP, bpf, 0, "").encode();
    assertThat(n).isEqualTo(want);
    assertThat(WarmNormal.instantiate(WarmNormal.text("a @@x".replace("@@x", B).getBytes(), B, ID), B, ID))
        .isEqualTo(("a " + B).getBytes());
  }
}
