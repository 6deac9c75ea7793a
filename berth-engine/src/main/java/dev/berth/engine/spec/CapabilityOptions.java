package dev.berth.engine.spec;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;

/**
 * CapAdd, CapDrop and Privileged → the process's capability sets, as dockerd computes them
 * (moby {@code oci/caps.TweakCapabilities} and {@code oci.SetCapabilities}).
 */
public final class CapabilityOptions {
  private CapabilityOptions() {}

  /**
   * Every capability this host can give: those the kernel knows (up to cap_last_cap) that are in
   * this process's own bounding set (a daemon running in a restricted environment cannot give more;
   * dockerd lists them the same way).
   */
  public static List<String> all() {
    List<String> known = dev.berth.sys.Capabilities.all();
    int last = (int) Math.min(known.size() - 1, dev.berth.sys.Capabilities.lastCap());
    long bounding = boundingSet();
    List<String> out = new ArrayList<>();
    for (int i = 0; i <= last; i++) if ((bounding & (1L << i)) != 0) out.add(known.get(i));
    return out;
  }

  /** CapBnd of this process (all bits when it cannot be read). */
  static long boundingSet() {
    try (var in = java.nio.file.Files.newInputStream(java.nio.file.Path.of("/proc/self/status"))) {
      for (String l : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).split("\n")) {
        if (l.startsWith("CapBnd:")) return Long.parseUnsignedLong(l.substring(7).trim(), 16);
      }
    } catch (java.io.IOException | NumberFormatException e) {
      // unknown: every capability
    }
    return -1L;
  }

  /**
   * The capability list for the container: Docker's 14, less {@code drops}, plus {@code adds};
   * "ALL" in adds = every capability less the drops, "ALL" in drops = only the adds; privileged =
   * every capability. Names are case-insensitive with an optional "CAP_".
   *
   * @throws IllegalArgumentException {@code unknown capability: "CAP_FOO"}
   */
  public static List<String> tweak(List<String> adds, List<String> drops, boolean privileged) {
    if (privileged) return all();
    if (adds.isEmpty() && drops.isEmpty()) return DockerDefaults.CAPABILITIES;
    List<String> drop = normalize(drops);
    List<String> add = normalize(adds);
    LinkedHashSet<String> caps = new LinkedHashSet<>();
    if (add.contains("ALL")) {
      for (String c : all()) if (!drop.contains(c)) caps.add(c);
    } else if (drop.contains("ALL")) {
      caps.addAll(add);
    } else {
      for (String c : DockerDefaults.CAPABILITIES) if (!drop.contains(c)) caps.add(c);
      caps.addAll(add);
    }
    return List.copyOf(caps);
  }

  static List<String> normalize(List<String> names) {
    List<String> all = all();
    List<String> out = new ArrayList<>();
    for (String n : names) {
      String c = n.toUpperCase(Locale.ROOT);
      if (c.equals("ALL")) {
        out.add(c);
        continue;
      }
      if (!c.startsWith("CAP_")) c = "CAP_" + c;
      if (!all.contains(c)) throw new IllegalArgumentException("unknown capability: " + GoQuote.q(c));
      out.add(c);
    }
    return out;
  }
}
