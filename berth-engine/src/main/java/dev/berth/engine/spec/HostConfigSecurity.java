package dev.berth.engine.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.runtime.convert.HostSecurity;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Docker's security and resource defaults and the HostConfig options that change them, applied to
 * an OCI config: capabilities (Docker's 14, CapAdd/CapDrop, Privileged), masked and read-only paths,
 * the default seccomp profile (SecurityOpt seccomp=..., no-new-privileges), devices, ulimits,
 * sysctls, ReadonlyRootfs and the resources (Memory, NanoCpus, CpuShares, PidsLimit, ...).
 *
 * <p>Errors are {@link IllegalArgumentException}s whose message is dockerd's (the API answers 400
 * with it). See berth-engine/README.md, "Security defaults".
 */
public final class HostConfigSecurity {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private HostConfigSecurity() {}

  /**
   * Applies Docker's defaults and {@code hostConfig}'s options to {@code oci} (a runtime-spec config
   * with process (user resolved to a uid), root, mounts and linux (namespaces) already present).
   *
   * @throws IllegalArgumentException naming the HostConfig field that is invalid
   */
  public static void apply(ObjectNode oci, JsonNode hostConfig) {
    applyWithWarnings(oci, hostConfig, ResourceOptions.Host.current());
  }

  /** {@link #apply}, returning dockerd's warnings (limits this host cannot apply, dropped) for the create response. */
  public static List<String> applyWithWarnings(ObjectNode oci, JsonNode hostConfig, ResourceOptions.Host host) {
    ObjectNode hc = hostConfig == null || !hostConfig.isObject() ? F.objectNode() : ((ObjectNode) hostConfig).deepCopy();
    ObjectNode process = obj(oci, "process");
    ObjectNode linux = obj(oci, "linux");
    boolean privileged = Fields.bool(hc, "Privileged");

    // validate everything before changing anything
    SecurityOptions sec = SecurityOptions.parse(Fields.strings(hc, "SecurityOpt"));
    List<String> warnings = ResourceOptions.validate(hc, host, false);
    List<String> caps = CapabilityOptions.tweak(Fields.strings(hc, "CapAdd"), Fields.strings(hc, "CapDrop"), privileged);
    if (!HostSecurity.selinux()) {
      // as dockerd on a host without SELinux: label options are accepted and do nothing
    } else {
      for (String l : sec.labels()) {
        if (!l.equals("disable")) throw new IllegalArgumentException("label=" + l + ": SELinux labels are not supported by berth");
      }
    }
    ObjectNode seccomp = null;
    if (!privileged && !"unconfined".equals(sec.seccomp())) {
      seccomp = sec.seccomp() == null ? SeccompProfiles.defaultFor(caps) : SeccompProfiles.load(sec.seccomp(), caps);
    }
    ArrayNode rlimits = rlimits(hc);
    ObjectNode sysctl = sysctls(hc, linux);
    List<DeviceOptions.Device> devices = new ArrayList<>();
    List<DockerDefaults.DeviceRule> rules = new ArrayList<>();
    if (privileged) {
      devices.addAll(DeviceOptions.hostDevices());
      for (JsonNode d : Fields.objects(hc, "Devices")) {
        String onHost = Fields.str(d, "PathOnHost");
        String inContainer = Fields.str(d, "PathInContainer");
        if (onHost.equals(inContainer)) continue; // already there
        devices.addAll(DeviceOptions.fromPath(onHost, inContainer, "rwm").devices());
      }
      rules.add(new DockerDefaults.DeviceRule(true, null, null, null, "rwm"));
    } else {
      rules.addAll(DockerDefaults.DEVICE_RULES);
      for (JsonNode d : Fields.objects(hc, "Devices")) {
        var m = DeviceOptions.fromPath(Fields.str(d, "PathOnHost"), Fields.str(d, "PathInContainer"),
            Fields.str(d, "CgroupPermissions"));
        devices.addAll(m.devices());
        rules.addAll(m.rules());
      }
      for (String r : Fields.strings(hc, "DeviceCgroupRules")) rules.add(DeviceOptions.cgroupRule(r));
    }
    ObjectNode resources = ResourceOptions.toOci(hc);

    // capabilities: root gets them in bounding, effective and permitted; another user only in bounding
    ObjectNode c = process.putObject("capabilities");
    ArrayNode bounding = c.putArray("bounding");
    caps.forEach(bounding::add);
    if (uid(process) == 0) {
      ArrayNode eff = c.putArray("effective");
      caps.forEach(eff::add);
      ArrayNode perm = c.putArray("permitted");
      caps.forEach(perm::add);
    }
    if (sec.noNewPrivileges()) process.put("noNewPrivileges", true);
    else process.remove("noNewPrivileges");
    if (sec.apparmor() != null && HostSecurity.apparmor() && !sec.apparmor().equals("unconfined")) {
      process.put("apparmorProfile", sec.apparmor());
    }
    if (seccomp != null) linux.set("seccomp", seccomp);
    else linux.remove("seccomp");

    paths(linux, "maskedPaths", hc, "MaskedPaths", privileged ? List.of() : DockerDefaults.MASKED_PATHS);
    paths(linux, "readonlyPaths", hc, "ReadonlyPaths", privileged ? List.of() : DockerDefaults.READONLY_PATHS);
    if (privileged) {
      for (JsonNode m : oci.path("mounts")) {
        if (m.path("destination").asText().equals("/sys") || m.path("type").asText().equals("cgroup")) {
          JsonNode opts = m.path("options");
          if (opts.isArray()) {
            for (int i = opts.size() - 1; i >= 0; i--) if (opts.get(i).asText().equals("ro")) ((ArrayNode) opts).remove(i);
          }
        }
      }
    }

    ArrayNode devs = linux.has("devices") && linux.get("devices").isArray() ? (ArrayNode) linux.get("devices") : linux.putArray("devices");
    for (DeviceOptions.Device d : devices) {
      devs.addObject().put("path", d.path()).put("type", d.type()).put("major", d.major()).put("minor", d.minor())
          .put("fileMode", d.fileMode()).put("uid", d.uid()).put("gid", d.gid());
    }
    ObjectNode res = obj(linux, "resources");
    resources.properties().forEach(e -> res.set(e.getKey(), e.getValue()));
    ArrayNode allow = res.putArray("devices");
    for (DockerDefaults.DeviceRule r : rules) {
      ObjectNode o = allow.addObject().put("allow", r.allow());
      if (r.type() != null) o.put("type", r.type());
      if (r.major() != null) o.put("major", r.major());
      if (r.minor() != null) o.put("minor", r.minor());
      o.put("access", r.access());
    }
    if (rlimits != null) {
      ArrayNode have = process.has("rlimits") && process.get("rlimits").isArray() ? (ArrayNode) process.get("rlimits") : process.putArray("rlimits");
      for (JsonNode r : rlimits) {
        for (int i = have.size() - 1; i >= 0; i--) {
          if (have.get(i).path("type").asText().equals(r.get("type").asText())) have.remove(i);
        }
        have.add(r);
      }
    }
    if (!sysctl.isEmpty()) {
      ObjectNode s = obj(linux, "sysctl");
      sysctl.properties().forEach(e -> s.set(e.getKey(), e.getValue()));
    }
    obj(oci, "root").put("readonly", Fields.bool(hc, "ReadonlyRootfs"));
    process.put("oomScoreAdj", Fields.num(hc, "OomScoreAdj"));
    return warnings;
  }

  private static void paths(ObjectNode linux, String oci, JsonNode hc, String field, List<String> dflt) {
    ArrayNode a = linux.putArray(oci);
    if (Fields.present(hc, field)) Fields.strings(hc, field).forEach(a::add);
    else dflt.forEach(a::add);
    if (a.isEmpty()) linux.remove(oci);
  }

  private static final Set<String> ULIMITS = Set.of("core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue",
      "nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack");

  private static final BigInteger U64 = BigInteger.ONE.shiftLeft(64);

  /** Ulimits [{Name, Soft, Hard}] → process.rlimits; null when none. */
  static ArrayNode rlimits(JsonNode hc) {
    List<JsonNode> ul = Fields.objects(hc, "Ulimits");
    if (ul.isEmpty()) return null;
    ArrayNode out = F.arrayNode();
    for (JsonNode u : ul) {
      String name = Fields.str(u, "Name");
      if (!ULIMITS.contains(name)) throw new IllegalArgumentException("invalid ulimit type: " + name);
      long soft = Fields.num(u, "Soft");
      long hard = Fields.num(u, "Hard");
      if (Long.compareUnsigned(soft, hard) > 0) {
        throw new IllegalArgumentException("ulimit soft limit must be less than or equal to hard limit: " + soft + " > " + hard);
      }
      out.addObject().put("type", "RLIMIT_" + name.toUpperCase(Locale.ROOT))
          .put("hard", unsigned(hard)).put("soft", unsigned(soft));
    }
    return out;
  }

  private static BigInteger unsigned(long v) {
    BigInteger b = BigInteger.valueOf(v);
    return v < 0 ? b.add(U64) : b;
  }

  private static final Set<String> IPC_SYSCTLS = Set.of("kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
      "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced");

  /**
   * Docker's default sysctls for a container with its own network namespace (unprivileged ping
   * and low ports), then HostConfig {@code Sysctls}: only namespaced ones (the docker CLI's list),
   * and net.* only with the container's own network namespace, IPC ones with its own IPC one.
   */
  static ObjectNode sysctls(JsonNode hc, ObjectNode linux) {
    ObjectNode out = F.objectNode();
    boolean ownNet = ownNamespace(linux, "network");
    boolean ownIpc = ownNamespace(linux, "ipc");
    if (ownNet) {
      if (!hasNamespace(linux, "user") && Files.exists(Path.of("/proc/sys/net/ipv4/ping_group_range"))) {
        out.put("net.ipv4.ping_group_range", "0 2147483647");
      }
      if (Files.exists(Path.of("/proc/sys/net/ipv4/ip_unprivileged_port_start"))) {
        out.put("net.ipv4.ip_unprivileged_port_start", "0");
      }
    }
    JsonNode s = hc.get("Sysctls");
    if (s == null || s.isNull()) return out;
    if (!s.isObject()) throw Fields.wrongType("Sysctls", s, "an object of strings");
    for (Map.Entry<String, JsonNode> e : s.properties()) {
      String k = e.getKey();
      if (!e.getValue().isTextual()) throw Fields.wrongType("Sysctls." + k, e.getValue(), "a string");
      String v = e.getValue().asText();
      boolean net = k.startsWith("net.");
      boolean ipc = IPC_SYSCTLS.contains(k) || k.startsWith("fs.mqueue.");
      if (!net && !ipc) throw new IllegalArgumentException("sysctl '" + k + "=" + v + "' is not allowed");
      if (net && !ownNet) throw new IllegalArgumentException("sysctl " + GoQuote.q(k) + " not allowed in host network namespace");
      if (ipc && !ownIpc) throw new IllegalArgumentException("sysctl " + GoQuote.q(k) + " is not allowed as it conflicts with the host's IPC namespace");
      out.put(k, v);
    }
    return out;
  }

  private static boolean hasNamespace(ObjectNode linux, String type) {
    for (JsonNode n : linux.path("namespaces")) if (n.path("type").asText().equals(type)) return true;
    return false;
  }

  private static boolean ownNamespace(ObjectNode linux, String type) {
    for (JsonNode n : linux.path("namespaces")) {
      if (n.path("type").asText().equals(type)) return n.path("path").asText("").isEmpty();
    }
    return false;
  }

  private static long uid(ObjectNode process) {
    return process.path("user").path("uid").asLong(0);
  }

  private static ObjectNode obj(ObjectNode parent, String field) {
    JsonNode n = parent.get(field);
    return n instanceof ObjectNode o ? o : parent.putObject(field);
  }
}
