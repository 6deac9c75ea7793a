package dev.berth.runtime.convert;

import dev.berth.cgroups.Resources;
import dev.berth.spec.Node;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code linux.resources} (and {@code update -r} files) → the cgroups model, field for field. */
public final class ResourcesConverter {
  private ResourcesConverter() {}

  public static Resources of(Node n) {
    if (n == null || !n.present()) return Resources.EMPTY;
    n.requireObject();
    return new Resources(
        n.has("devices") ? n.list("devices", ResourcesConverter::device) : null,
        n.has("memory") ? memory(n.get("memory").requireObject()) : null,
        n.has("cpu") ? cpu(n.get("cpu").requireObject()) : null,
        n.has("pids") ? new Resources.Pids(n.get("pids").requireObject().optLong("limit")) : null,
        n.has("blockIO") ? blockIO(n.get("blockIO").requireObject()) : null,
        n.has("hugepageLimits") ? n.list("hugepageLimits",
            h -> new Resources.HugepageLimit(h.requireObject().string("pageSize"), h.unsigned("limit"))) : null,
        n.has("network") ? network(n.get("network").requireObject()) : null,
        n.has("rdma") ? rdma(n.get("rdma").requireObject()) : null,
        n.has("unified") ? n.stringMap("unified") : null);
  }

  private static Resources.DeviceRule device(Node d) {
    d.requireObject();
    String type = d.optString("type");
    String access = d.optString("access");
    return new Resources.DeviceRule(d.optBool("allow", false), type == null ? "a" : type,
        d.optLong("major"), d.optLong("minor"), access == null ? "rwm" : access);
  }

  private static Resources.Memory memory(Node m) {
    Node dis = m.get("disableOOMKiller");
    Node hier = m.get("useHierarchy");
    Node check = m.get("checkBeforeUpdate");
    return new Resources.Memory(m.optLong("limit"), m.optLong("reservation"), m.optLong("swap"),
        m.optLong("kernel"), m.optLong("kernelTCP"), m.optLong("swappiness"),
        dis.present() ? m.optBool("disableOOMKiller", false) : null,
        hier.present() ? m.optBool("useHierarchy", false) : null,
        check.present() ? m.optBool("checkBeforeUpdate", false) : null);
  }

  private static Resources.Cpu cpu(Node c) {
    return new Resources.Cpu(c.optLong("shares"), c.optLong("quota"), c.optLong("burst"), c.optLong("period"),
        c.optLong("realtimeRuntime"), c.optLong("realtimePeriod"), c.optString("cpus"), c.optString("mems"),
        c.optLong("idle"));
  }

  private static Resources.BlockIO blockIO(Node b) {
    return new Resources.BlockIO(b.optInt("weight"), b.optInt("leafWeight"),
        b.has("weightDevice") ? b.list("weightDevice", w -> new Resources.WeightDevice(
            w.requireObject().unsigned("major"), w.unsigned("minor"), w.optInt("weight"), w.optInt("leafWeight"))) : null,
        throttle(b, "throttleReadBpsDevice"), throttle(b, "throttleWriteBpsDevice"),
        throttle(b, "throttleReadIOPSDevice"), throttle(b, "throttleWriteIOPSDevice"));
  }

  private static List<Resources.ThrottleDevice> throttle(Node b, String name) {
    if (!b.has(name)) return null;
    return b.list(name, t -> new Resources.ThrottleDevice(t.requireObject().unsigned("major"), t.unsigned("minor"),
        t.unsigned("rate")));
  }

  private static Resources.Network network(Node n) {
    return new Resources.Network(n.optInt("classID"), n.has("priorities") ? n.list("priorities",
        p -> new Resources.InterfacePriority(p.requireObject().string("name"), (int) p.unsigned("priority"))) : null);
  }

  private static Map<String, Resources.Rdma> rdma(Node r) {
    Map<String, Resources.Rdma> out = new LinkedHashMap<>();
    for (String dev : r.fieldNames()) {
      Node d = r.get(dev).requireObject();
      out.put(dev, new Resources.Rdma(d.optInt("hcaHandles"), d.optInt("hcaObjects")));
    }
    return out;
  }
}
