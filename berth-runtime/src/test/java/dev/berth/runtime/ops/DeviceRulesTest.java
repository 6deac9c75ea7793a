package dev.berth.runtime.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.cgroups.Resources;
import dev.berth.runtime.convert.ResourcesConverter;
import dev.berth.spec.Spec;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The device cgroup rules a container gets: the config's, then runc's defaults; none from linux.devices. */
class DeviceRulesTest {
  static Resources rules(String linux) {
    Spec spec = Spec.parse(("{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},\"process\":{\"args\":[\"sh\"],"
        + "\"cwd\":\"/\"},\"linux\":" + linux + "}").getBytes(StandardCharsets.UTF_8));
    return Create.withDeviceDefaults(ResourcesConverter.of(spec.linux().resources()), spec);
  }

  @Test
  void aMappedDeviceGetsExactlyTheAccessTheConfigAllows() {
    Resources r = rules("{\"devices\":[{\"path\":\"/dev/myloop\",\"type\":\"c\",\"major\":10,\"minor\":237}],"
        + "\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
        + "{\"allow\":true,\"type\":\"c\",\"major\":10,\"minor\":237,\"access\":\"r\"}]}}");
    assertThat(r.devices()).first().isEqualTo(new Resources.DeviceRule(false, "a", null, null, "rwm"));
    assertThat(r.devices()).contains(new Resources.DeviceRule(true, "c", 10L, 237L, "r"));
    // no rule but the config's names 10:237 (before: an rwm allow per linux.devices entry)
    assertThat(r.devices()).filteredOn(d -> Long.valueOf(237).equals(d.minor()))
        .containsExactly(new Resources.DeviceRule(true, "c", 10L, 237L, "r"));
    // runc's defaults follow the config's rules
    assertThat(r.devices()).contains(Resources.DeviceRule.allowChar(1, 3, "rwm"),
        new Resources.DeviceRule(true, "c", 136L, null, "rwm"));
  }

  @Test
  void aDeviceTheRulesDoNotNameIsNotAllowed() {
    Resources r = rules("{\"devices\":[{\"path\":\"/dev/sda\",\"type\":\"b\",\"major\":8,\"minor\":0}],"
        + "\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]}}");
    assertThat(r.devices()).noneMatch(d -> d.allow() && Long.valueOf(8).equals(d.major()));
  }

  @Test
  void withoutRulesThereIsNoDeviceCgroupPolicy() {
    Resources r = rules("{\"devices\":[{\"path\":\"/dev/sda\",\"type\":\"b\",\"major\":8,\"minor\":0}]}");
    assertThat(r.devices()).isNullOrEmpty();
  }
}
