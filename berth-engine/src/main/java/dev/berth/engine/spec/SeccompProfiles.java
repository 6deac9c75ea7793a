package dev.berth.engine.spec;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Seccomp profiles in Docker's format → OCI {@code linux.seccomp}, as dockerd converts them (moby
 * {@code profiles/seccomp.setupSeccomp}): {@code archMap} picks the native architecture and its
 * sub-architectures, and each rule's {@code includes}/{@code excludes} ({@code caps}: all in the
 * bounding set; {@code arches}: the native one; {@code minKernel}) decide whether it is kept.
 *
 * <p>berth's default profile, {@code seccomp-default.json} beside this class, is Docker's default
 * allowlist in that format, so the default and a profile sent with {@code --security-opt
 * seccomp=<file>} (the CLI sends the file's content) take the same path.
 */
public final class SeccompProfiles {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonNode DEFAULT = load();

  private SeccompProfiles() {}

  /** The host this runs on: native arch (Go's names: amd64, arm64, ...) and kernel release. */
  public record Host(String arch, int[] kernel) {
    public static Host current() {
      String a = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
      String arch = switch (a) {
        case "x86_64", "amd64" -> "amd64";
        case "aarch64", "arm64" -> "arm64";
        case "x86", "i386", "i686" -> "x86";
        default -> a;
      };
      int[] k = {0, 0};
      try (InputStream in = Files.newInputStream(Path.of("/proc/sys/kernel/osrelease"))) {
        k = version(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).trim());
      } catch (IOException | RuntimeException e) {
        // unknown kernel: minKernel rules are left out
      }
      return new Host(arch, k);
    }
  }

  /** The default profile in Docker's format (a copy). */
  public static ObjectNode defaultProfile() {
    return DEFAULT.deepCopy();
  }

  /** Docker's default profile for a container whose bounding set is {@code bounding}. */
  public static ObjectNode defaultFor(List<String> bounding) {
    return toOci(DEFAULT, bounding, Host.current());
  }

  /**
   * A profile sent as {@code seccomp=<JSON>} → OCI, or null when it disables seccomp (no
   * defaultAction and no syscalls, as dockerd).
   *
   * @throws IllegalArgumentException {@code Decoding seccomp profile failed: ...} and the like
   */
  public static ObjectNode load(String body, List<String> bounding) {
    JsonNode n;
    try {
      n = JSON.readTree(body);
    } catch (JacksonException e) {
      throw new IllegalArgumentException("Decoding seccomp profile failed: " + e.getOriginalMessage());
    }
    if (n == null || !n.isObject()) throw new IllegalArgumentException("Decoding seccomp profile failed: not a JSON object");
    return toOci(n, bounding, Host.current());
  }

  static ObjectNode toOci(JsonNode p, List<String> bounding, Host host) {
    String defaultAction = text(p, "defaultAction", "");
    JsonNode syscalls = p.path("syscalls");
    if (!syscalls.isMissingNode() && !syscalls.isNull() && !syscalls.isArray()) {
      throw new IllegalArgumentException("Decoding seccomp profile failed: syscalls must be a list");
    }
    if (defaultAction.isEmpty() && syscalls.size() == 0) return null;
    JsonNode arches = p.path("architectures");
    JsonNode archMap = p.path("archMap");
    if (arches.size() > 0 && archMap.size() > 0) {
      throw new IllegalArgumentException("'architectures' and 'archMap' were specified in the seccomp profile, use either 'architectures' or 'archMap'");
    }
    ObjectNode out = JSON.createObjectNode();
    out.put("defaultAction", defaultAction);
    if (p.hasNonNull("defaultErrnoRet")) out.set("defaultErrnoRet", p.get("defaultErrnoRet"));
    ArrayNode outArches = out.putArray("architectures");
    for (JsonNode a : arches) outArches.add(a.asText());
    String seccompArch = NATIVE.get(host.arch());
    for (JsonNode m : archMap) {
      if (seccompArch != null && seccompArch.equals(text(m, "architecture", ""))) {
        outArches.add(seccompArch);
        for (JsonNode s : m.path("subArchitectures")) outArches.add(s.asText());
        break;
      }
    }
    if (outArches.isEmpty()) out.remove("architectures");
    for (String k : List.of("flags", "listenerPath", "listenerMetadata")) {
      if (p.hasNonNull(k)) out.set(k, p.get(k));
    }
    ArrayNode outCalls = out.putArray("syscalls");
    Set<String> caps = Set.copyOf(bounding);
    for (int i = 0; i < syscalls.size(); i++) {
      JsonNode c = syscalls.get(i);
      if (!c.isObject()) throw new IllegalArgumentException("Decoding seccomp profile failed: syscalls[" + i + "] is not an object");
      if (!keep(c, caps, host)) continue;
      ObjectNode r = outCalls.addObject();
      ArrayNode names = r.putArray("names");
      String name = text(c, "name", "");
      if (!name.isEmpty()) {
        if (c.path("names").size() > 0) {
          throw new IllegalArgumentException("'name' and 'names' were specified in the seccomp profile, use either 'name' or 'names'");
        }
        names.add(name);
      }
      for (JsonNode nm : c.path("names")) names.add(nm.asText());
      r.put("action", text(c, "action", ""));
      if (c.hasNonNull("errnoRet")) r.set("errnoRet", c.get("errnoRet"));
      if (c.path("args").size() > 0) {
        ArrayNode args = r.putArray("args");
        for (JsonNode a : c.get("args")) {
          ObjectNode o = args.addObject();
          o.set("index", a.path("index"));
          o.set("value", a.path("value").isMissingNode() ? JSON.getNodeFactory().numberNode(0) : a.get("value"));
          if (a.hasNonNull("valueTwo") && a.get("valueTwo").asLong() != 0) o.set("valueTwo", a.get("valueTwo"));
          o.put("op", text(a, "op", ""));
        }
      }
    }
    return out;
  }

  private static boolean keep(JsonNode c, Set<String> caps, Host host) {
    JsonNode ex = c.path("excludes");
    if (contains(ex.path("arches"), host.arch())) return false;
    for (JsonNode cap : ex.path("caps")) if (caps.contains(cap.asText())) return false;
    if (ex.hasNonNull("minKernel") && !ex.get("minKernel").asText().isEmpty()
        && atLeast(host.kernel(), version(ex.get("minKernel").asText()))) {
      return false;
    }
    JsonNode in = c.path("includes");
    if (in.path("arches").size() > 0 && !contains(in.path("arches"), host.arch())) return false;
    for (JsonNode cap : in.path("caps")) if (!caps.contains(cap.asText())) return false;
    if (in.hasNonNull("minKernel") && !in.get("minKernel").asText().isEmpty()
        && !atLeast(host.kernel(), version(in.get("minKernel").asText()))) {
      return false;
    }
    return true;
  }

  private static boolean contains(JsonNode list, String s) {
    for (JsonNode n : list) if (n.asText().equals(s)) return true;
    return false;
  }

  static int[] version(String release) {
    String[] parts = release.split("[.-]");
    try {
      return new int[] {Integer.parseInt(parts[0]), parts.length > 1 ? Integer.parseInt(parts[1].replaceAll("\\D.*", "")) : 0};
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("invalid kernel version " + GoQuote.q(release));
    }
  }

  private static boolean atLeast(int[] have, int[] want) {
    return have[0] != want[0] ? have[0] > want[0] : have[1] >= want[1];
  }

  private static String text(JsonNode n, String field, String dflt) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() ? dflt : v.asText();
  }

  /** Go's GOARCH → libseccomp's architecture, as dockerd maps them. */
  private static final java.util.Map<String, String> NATIVE = java.util.Map.ofEntries(
      java.util.Map.entry("x86", "SCMP_ARCH_X86"), java.util.Map.entry("amd64", "SCMP_ARCH_X86_64"),
      java.util.Map.entry("arm", "SCMP_ARCH_ARM"), java.util.Map.entry("arm64", "SCMP_ARCH_AARCH64"),
      java.util.Map.entry("mips64", "SCMP_ARCH_MIPS64"), java.util.Map.entry("mips64le", "SCMP_ARCH_MIPSEL64"),
      java.util.Map.entry("ppc64le", "SCMP_ARCH_PPC64LE"), java.util.Map.entry("s390x", "SCMP_ARCH_S390X"),
      java.util.Map.entry("riscv64", "SCMP_ARCH_RISCV64"));

  private static JsonNode load() {
    try (InputStream in = SeccompProfiles.class.getResourceAsStream("seccomp-default.json")) {
      if (in == null) throw new IllegalStateException("seccomp-default.json missing from berth-engine's jar");
      return JSON.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
