package dev.berth.spec;

import java.util.List;
import java.util.Map;

/**
 * {@code linux}: namespaces, id mappings, devices, cgroups, rootfs propagation, masked and
 * read-only paths, sysctls, seccomp. {@code resources} and {@code seccomp} stay as {@link Node}s
 * (with their paths) and are converted by the runtime into the cgroups and seccomp models.
 */
public record Linux(
    List<Namespace> namespaces,
    List<Spec.IdMapping> uidMappings,
    List<Spec.IdMapping> gidMappings,
    List<Device> devices,
    String cgroupsPath,
    Node resources,
    String rootfsPropagation,
    List<String> maskedPaths,
    List<String> readonlyPaths,
    Map<String, String> sysctl,
    Node seccomp,
    String mountLabel,
    Long personality,
    List<TimeOffset> timeOffsets) {

  static Linux of(Node n) {
    if (n.present()) n.requireObject();
    Node personality = n.get("personality");
    Long persona = null;
    if (personality.present()) {
      String domain = personality.requireObject().string("domain");
      persona = switch (domain) {
        case "LINUX" -> 0L;
        case "LINUX32" -> 8L;
        default -> throw personality.get("domain").error("unknown personality \"" + domain + "\" (LINUX or LINUX32)");
      };
    }
    List<TimeOffset> offsets = List.of();
    Node to = n.get("timeOffsets");
    if (to.present()) {
      to.requireObject();
      var list = new java.util.ArrayList<TimeOffset>();
      for (String clock : to.fieldNames()) {
        Node c = to.get(clock).requireObject();
        Long secs = c.optLong("secs");
        Long nanos = c.optLong("nanosecs");
        list.add(new TimeOffset(clock, secs == null ? 0 : secs, nanos == null ? 0 : nanos));
      }
      offsets = List.copyOf(list);
    }
    for (String f : List.of("intelRdt", "netDevices")) {
      if (n.has(f)) throw n.get(f).error("not supported by berth (refused rather than ignored)");
    }
    return new Linux(
        n.list("namespaces", Namespace::of),
        n.list("uidMappings", Spec.IdMapping::of),
        n.list("gidMappings", Spec.IdMapping::of),
        n.list("devices", Device::of),
        n.optString("cgroupsPath"),
        n.get("resources"),
        n.optString("rootfsPropagation"),
        n.strings("maskedPaths"),
        n.strings("readonlyPaths"),
        n.stringMap("sysctl"),
        n.get("seccomp"),
        n.optString("mountLabel"),
        persona,
        offsets);
  }

  public record Namespace(String type, String path, String field) {
    static Namespace of(Node n) {
      n.requireObject();
      String path = n.optString("path");
      return new Namespace(n.string("type"), path == null || path.isEmpty() ? null : path, n.path());
    }
  }

  public record Device(String type, String path, long major, long minor, Integer fileMode, Long uid, Long gid) {
    static Device of(Node n) {
      n.requireObject();
      String type = n.string("type");
      boolean fifo = type.equals("p");
      return new Device(type, n.string("path"),
          fifo && !n.has("major") ? 0 : n.unsigned("major"),
          fifo && !n.has("minor") ? 0 : n.unsigned("minor"),
          n.optInt("fileMode"), n.optLong("uid"), n.optLong("gid"));
    }
  }

  public record TimeOffset(String clock, long secs, long nanosecs) {}
}
