package dev.berth.engine.containers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.engine.spec.HostConfigSecurity;
import dev.berth.engine.spec.BundleSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Docker's container model → an OCI runtime config, as dockerd's daemon/oci_linux.go builds it:
 * the process from Config (merged with the image's at create: {@link #mergeImageConfig}), the
 * hostname, Docker's default mounts, /etc/hosts, /etc/hostname and /etc/resolv.conf bind-mounted
 * from files the engine writes per container, Binds / Mounts / Tmpfs, the namespaces of the
 * network, pid and ipc modes; then {@link HostConfigSecurity#apply} (capabilities, seccomp, masked
 * paths, devices, ulimits, resources, read-only root).
 */
public final class OciSpec {
  private OciSpec() {}

  static final String DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  /**
   * What dockerd's create does with the image's config (daemon/create.go merge): Cmd (and its
   * Entrypoint) from the image when the user gave neither, Env keys the user did not set,
   * WorkingDir, User, Labels, StopSignal, ExposedPorts, Volumes when unset.
   */
  public static void mergeImageConfig(ObjectNode config, JsonNode image) {
    if (image == null || !image.isObject()) return;
    boolean noEntrypoint = empty(config.get("Entrypoint"));
    if (noEntrypoint) {
      if (empty(config.get("Cmd")) && image.has("Cmd")) config.set("Cmd", image.get("Cmd").deepCopy());
      if (config.get("Entrypoint") == null || config.get("Entrypoint").isNull()) {
        if (image.has("Entrypoint")) config.set("Entrypoint", image.get("Entrypoint").deepCopy());
      }
    }
    Map<String, String> env = new LinkedHashMap<>();
    for (JsonNode e : image.path("Env")) put(env, e.asText());
    for (JsonNode e : config.path("Env")) put(env, e.asText());
    ArrayNode envs = config.putArray("Env");
    env.forEach((k, v) -> envs.add(v == null ? k : k + "=" + v));
    for (String f : new String[] {"WorkingDir", "User", "StopSignal"}) {
      if (config.path(f).asText("").isEmpty() && !image.path(f).asText("").isEmpty()) config.put(f, image.get(f).asText());
    }
    if (image.path("Labels").isObject()) {
      ObjectNode labels = config.path("Labels").isObject() ? (ObjectNode) config.get("Labels") : config.putObject("Labels");
      image.get("Labels").properties().forEach(e -> { if (!labels.has(e.getKey())) labels.set(e.getKey(), e.getValue()); });
    }
    for (String f : new String[] {"ExposedPorts", "Volumes"}) {
      if (!config.path(f).isObject() && image.path(f).isObject()) config.set(f, image.get(f).deepCopy());
    }
  }

  static boolean empty(JsonNode n) {
    return n == null || n.isNull() || (n.isArray() && n.isEmpty()) || (n.isTextual() && n.asText().isEmpty());
  }

  private static void put(Map<String, String> env, String kv) {
    int i = kv.indexOf('=');
    if (i < 0) env.put(kv, null);
    else env.put(kv.substring(0, i), kv.substring(i + 1));
  }

  /** Entrypoint + Cmd (either may be a string in old API versions): the process's argv. */
  static List<String> command(JsonNode config) {
    List<String> out = new ArrayList<>();
    for (String f : new String[] {"Entrypoint", "Cmd"}) {
      JsonNode n = config.get(f);
      if (n == null || n.isNull()) continue;
      if (n.isTextual()) {
        if (!n.asText().isEmpty()) out.add(n.asText());
      } else {
        n.forEach(x -> out.add(x.asText()));
      }
    }
    return out;
  }

  /** Where the files and volumes of one container are. */
  record Paths(Path rootfs, Path hosts, Path hostname, Path resolvConf, Path volumes) {}

  static ObjectNode defaults() {
    try (InputStream in = dev.berth.spec.Spec.class.getResourceAsStream("default-config.json")) {
      return (ObjectNode) Container.M.readTree(in);
    } catch (IOException e) {
      throw new IllegalStateException("default-config.json: " + e.getMessage(), e);
    }
  }

  /** The mount points Docker's default mounts need (made in the snapshot's init layer). */
  static List<String> mountPoints() {
    List<String> out = new ArrayList<>();
    for (JsonNode m : defaults().path("mounts")) out.add(m.path("destination").asText());
    return out;
  }

  /** The files bound over the image's (made as empty files in the init layer when the image lacks them: a FROM scratch image). */
  static List<String> fileMountPoints() {
    return List.of("/etc/hosts", "/etc/hostname", "/etc/resolv.conf");
  }

  public static String hostname(String id, JsonNode config, JsonNode hostConfig) {
    if ("host".equals(hostConfig.path("NetworkMode").asText())) {
      try {
        return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
      } catch (IOException e) {
        return id.substring(0, 12);
      }
    }
    String h = config.path("Hostname").asText("");
    return h.isEmpty() ? id.substring(0, 12) : h;
  }

  /** The OCI config of a container about to start. Throws IllegalArgumentException for bad input. */
  static ObjectNode build(Container c, Paths p) throws IOException {
    JsonNode cfg = c.config, hc = c.hostConfig;
    ObjectNode spec = defaults();
    ObjectNode proc = (ObjectNode) spec.get("process");
    boolean tty = cfg.path("Tty").asBoolean(false);
    proc.put("terminal", tty);
    JsonNode cs = hc.path("ConsoleSize"); // [height, width] the client's terminal has: the pty's size at start
    if (tty && cs.isArray() && cs.size() == 2 && cs.get(0).asInt(0) > 0 && cs.get(1).asInt(0) > 0) {
      proc.putObject("consoleSize").put("height", Math.min(cs.get(0).asInt(), 65535)).put("width", Math.min(cs.get(1).asInt(), 65535));
    }
    List<String> argv = command(cfg);
    if (argv.isEmpty()) throw new IllegalArgumentException("no command specified");
    ArrayNode args = proc.putArray("args");
    argv.forEach(args::add);

    String hostname = hostname(c.id, cfg, hc);
    Map<String, String> env = new LinkedHashMap<>();
    for (JsonNode e : cfg.path("Env")) put(env, e.asText());
    if (!env.containsKey("PATH")) put(env, DEFAULT_PATH);
    env.putIfAbsent("HOSTNAME", hostname);
    if (tty) env.putIfAbsent("TERM", "xterm");
    ArrayNode envs = proc.putArray("env");
    env.forEach((k, v) -> { if (v != null) envs.add(k + "=" + v); });

    String wd = cfg.path("WorkingDir").asText("");
    if (wd.isEmpty()) wd = "/";
    if (!wd.startsWith("/")) throw new IllegalArgumentException("the working directory '" + wd + "' is invalid, it needs to be an absolute path");
    proc.put("cwd", wd);
    if (!wd.equals("/")) {
      Path in = BundleSpec.inRoot(p.rootfs(), wd);
      if (!Files.exists(in, LinkOption.NOFOLLOW_LINKS)) Files.createDirectories(in);
      else if (!Files.isDirectory(in)) throw new IllegalArgumentException("Cannot mkdir: " + wd + " is not a directory");
    }
    BundleSpec.ExecUser u = BundleSpec.resolveUser(p.rootfs(), cfg.path("User").asText(""));
    ObjectNode un = proc.putObject("user");
    un.put("uid", u.uid());
    un.put("gid", u.gid());
    List<Long> gids = new ArrayList<>(u.additionalGids());
    for (JsonNode g : hc.path("GroupAdd")) {
      String s = g.asText();
      if (!s.matches("[0-9]+")) throw new IllegalArgumentException("Unable to find group " + s + ": only numeric groups are supported");
      gids.add(Long.parseLong(s));
    }
    if (!gids.isEmpty()) {
      ArrayNode ag = un.putArray("additionalGids");
      gids.forEach(ag::add);
    }
    proc.remove("capabilities");

    ObjectNode root = spec.putObject("root");
    root.put("path", p.rootfs().toString());
    root.put("readonly", false);
    spec.put("hostname", hostname);

    // mounts: Docker's defaults (/dev/shm of ShmSize), then /etc files, then the user's by depth
    long shm = hc.path("ShmSize").asLong(0);
    if (shm < 0) throw new IllegalArgumentException("SHM size can not be less than 0");
    ArrayNode mounts = (ArrayNode) spec.get("mounts");
    List<ObjectNode> user = userMounts(hc, p.volumes());
    java.util.Set<String> userDest = new java.util.HashSet<>();
    for (ObjectNode m : user) userDest.add(m.path("destination").asText());
    ArrayNode kept = Container.M.createArrayNode();
    for (JsonNode m : mounts) {
      ObjectNode om = (ObjectNode) m;
      String d = om.path("destination").asText();
      if (userDest.contains(d)) continue;
      if (d.equals("/dev/shm")) {
        ArrayNode o = om.putArray("options");
        for (String s : new String[] {"nosuid", "noexec", "nodev", "mode=1777"}) o.add(s);
        o.add("size=" + (shm > 0 ? shm : 64L * 1024 * 1024));
      }
      if (d.equals("/proc")) {
        ArrayNode o = om.putArray("options");
        for (String s : new String[] {"nosuid", "noexec", "nodev"}) o.add(s);
      }
      kept.add(om);
    }
    spec.set("mounts", kept);
    mounts = kept;
    for (Object[] f : new Object[][] {{"/etc/resolv.conf", p.resolvConf()}, {"/etc/hostname", p.hostname()}, {"/etc/hosts", p.hosts()}}) {
      if (userDest.contains((String) f[0])) continue;
      ObjectNode m = mounts.addObject();
      m.put("destination", (String) f[0]);
      m.put("type", "bind");
      m.put("source", f[1].toString());
      m.putArray("options").add("rbind").add("rprivate");
    }
    user.sort(Comparator.comparingInt(m -> m.path("destination").asText().split("/").length));
    user.forEach(mounts::add);

    // namespaces
    ObjectNode linux = (ObjectNode) spec.get("linux");
    ArrayNode ns = linux.putArray("namespaces");
    String net = hc.path("NetworkMode").asText("");
    // container:<ref>: a network namespace entry whose path the engine sets to that container's at start
    String pidMode = hc.path("PidMode").asText(""), ipcMode = hc.path("IpcMode").asText(""), uts = hc.path("UTSMode").asText("");
    if (!pidMode.isEmpty() && !pidMode.equals("host") && !pidMode.equals("private"))
      throw new IllegalArgumentException("invalid PID mode: " + pidMode);
    if (!pidMode.equals("host")) ns.addObject().put("type", "pid");
    if (!net.equals("host")) ns.addObject().put("type", "network");
    if (!ipcMode.equals("host")) ns.addObject().put("type", "ipc");
    if (!uts.equals("host")) ns.addObject().put("type", "uts");
    else spec.remove("hostname");
    ns.addObject().put("type", "mount");
    if ("private".equals(hc.path("CgroupnsMode").asText(""))) ns.addObject().put("type", "cgroup");
    linux.remove("maskedPaths");
    linux.remove("readonlyPaths");
    linux.remove("resources");
    HostConfigSecurity.apply(spec, hc);
    return spec;
  }

  /** Binds ("src:dst[:opts]"), Mounts (bind, volume, tmpfs) and Tmpfs ({dst: opts}) as OCI mounts. */
  static List<ObjectNode> userMounts(JsonNode hc, Path volumes) throws IOException {
    List<ObjectNode> out = new ArrayList<>();
    for (JsonNode b : hc.path("Binds")) {
      MountSpec m = parseBind(b.asText());
      out.add(m.oci(volumes, true));
    }
    for (JsonNode mm : hc.path("Mounts")) out.add(parseMount(mm).oci(volumes, false));
    if (hc.path("Tmpfs").isObject()) {
      for (var e : hc.get("Tmpfs").properties()) {
        String d = e.getKey();
        if (!d.startsWith("/")) throw new IllegalArgumentException("invalid mount path: '" + d + "' mount path must be absolute");
        out.add(tmpfs(d, e.getValue().asText("")));
      }
    }
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (ObjectNode m : out) {
      String d = m.path("destination").asText();
      if (!seen.add(d)) throw new IllegalArgumentException("Duplicate mount point: " + d);
    }
    return out;
  }

  static ObjectNode tmpfs(String dest, String opts) {
    ObjectNode m = Container.M.createObjectNode();
    m.put("destination", dest);
    m.put("type", "tmpfs");
    m.put("source", "tmpfs");
    ArrayNode o = m.putArray("options");
    java.util.LinkedHashSet<String> set = new java.util.LinkedHashSet<>(List.of("noexec", "nosuid", "nodev"));
    for (String s : opts.split(",")) {
      if (s.isBlank()) continue;
      if (s.equals("exec")) set.remove("noexec");
      else if (s.equals("suid")) set.remove("nosuid");
      else if (s.equals("dev")) set.remove("nodev");
      else set.add(s);
    }
    set.forEach(o::add);
    return m;
  }

  /**
   * One user mount. type bind|volume|tmpfs; source a host path (bind) or a volume name.
   *
   * @param create a bind source that does not exist is created (-v), else refused (--mount)
   */
  record MountSpec(String type, String source, String target, boolean readOnly, String propagation, String tmpfsOpts) {
    ObjectNode oci(Path volumes, boolean create) throws IOException {
      if (type.equals("tmpfs")) return tmpfs(target, tmpfsOpts);
      ObjectNode m = Container.M.createObjectNode();
      m.put("destination", target);
      m.put("type", "bind");
      Path src;
      if (type.equals("volume")) {
        src = volumeDir(volumes, source);
        Files.createDirectories(src);
      } else {
        src = Path.of(source);
        if (!Files.exists(src)) {
          if (!create) throw new IllegalArgumentException("invalid mount config for type \"bind\": bind source path does not exist: " + source);
          Files.createDirectories(src);
        }
      }
      m.put("source", src.toString());
      ArrayNode o = m.putArray("options");
      o.add("rbind");
      o.add(propagation.isEmpty() ? "rprivate" : propagation);
      if (readOnly) o.add("ro");
      return m;
    }

    /** The entry of inspect's Mounts (tmpfs from --tmpfs is not listed, as dockerd). */
    ObjectNode inspect(Path volumes) {
      ObjectNode m = Container.M.createObjectNode();
      m.put("Type", type);
      if (type.equals("volume")) {
        m.put("Name", source);
        m.put("Source", volumeDir(volumes, source).toString());
        m.put("Destination", target);
        m.put("Driver", "local");
        m.put("Mode", "z");
      } else {
        m.put("Source", type.equals("tmpfs") ? "" : source);
        m.put("Destination", target);
        m.put("Mode", "");
      }
      m.put("RW", !readOnly);
      m.put("Propagation", type.equals("bind") ? (propagation.isEmpty() ? "rprivate" : propagation) : "");
      return m;
    }
  }

  static Path volumeDir(Path volumes, String name) {
    if (!name.matches("[a-zA-Z0-9][a-zA-Z0-9_.-]+")) {
      throw new IllegalArgumentException("create " + name + ": \"" + name
          + "\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path");
    }
    return volumes.resolve(name).resolve("_data");
  }

  static MountSpec parseBind(String spec) {
    String[] f = spec.split(":", -1);
    if (f.length < 2 || f.length > 3 || f[0].isEmpty() || f[1].isEmpty()) {
      throw new IllegalArgumentException("invalid volume specification: '" + spec + "'");
    }
    String src = f[0], dst = f[1];
    if (!dst.startsWith("/")) throw new IllegalArgumentException("invalid volume specification: '" + spec + "': invalid mount config for type \"bind\": invalid mount path: '" + dst + "' mount path must be absolute");
    boolean ro = false;
    String prop = "";
    if (f.length == 3) {
      for (String o : f[2].split(",")) {
        switch (o) {
          case "ro" -> ro = true;
          case "rw", "z", "Z", "nocopy", "" -> {}
          case "shared", "rshared", "slave", "rslave", "private", "rprivate" -> prop = o;
          default -> throw new IllegalArgumentException("invalid mode: " + o);
        }
      }
    }
    String type = src.startsWith("/") ? "bind" : "volume";
    return new MountSpec(type, src, Path.of(dst).normalize().toString(), ro, prop, "");
  }

  static MountSpec parseMount(JsonNode m) {
    String type = m.path("Type").asText("");
    String target = m.path("Target").asText("");
    String source = m.path("Source").asText("");
    if (target.isEmpty()) throw new IllegalArgumentException("invalid mount config for type \"" + type + "\": field Target must not be empty");
    if (!target.startsWith("/")) throw new IllegalArgumentException("invalid mount config for type \"" + type + "\": invalid mount path: '" + target + "' mount path must be absolute");
    boolean ro = m.path("ReadOnly").asBoolean(false);
    return switch (type) {
      case "bind" -> {
        if (source.isEmpty()) throw new IllegalArgumentException("invalid mount config for type \"bind\": field Source must not be empty");
        if (!source.startsWith("/")) throw new IllegalArgumentException("invalid mount config for type \"bind\": invalid mount path: '" + source + "' mount path must be absolute");
        yield new MountSpec("bind", source, target, ro, m.path("BindOptions").path("Propagation").asText(""), "");
      }
      case "volume" -> {
        if (source.isEmpty()) throw new IllegalArgumentException("invalid mount config for type \"volume\": anonymous volumes are not supported yet");
        yield new MountSpec("volume", source, target, ro, "", "");
      }
      case "tmpfs" -> {
        if (!source.isEmpty()) throw new IllegalArgumentException("invalid mount config for type \"tmpfs\": field Source must be empty");
        JsonNode t = m.path("TmpfsOptions");
        List<String> o = new ArrayList<>();
        if (t.path("SizeBytes").asLong(0) > 0) o.add("size=" + t.get("SizeBytes").asLong());
        if (t.path("Mode").asInt(0) > 0) o.add("mode=" + Integer.toOctalString(t.get("Mode").asInt()));
        if (ro) o.add("ro");
        yield new MountSpec("tmpfs", "", target, ro, "", String.join(",", o));
      }
      default -> throw new IllegalArgumentException("mount type unknown: \"" + type + "\"");
    };
  }

  /** inspect's Mounts of a HostConfig (checked: throws IllegalArgumentException for a bad one). */
  static ArrayNode inspectMounts(JsonNode hc, Path volumes) {
    ArrayNode out = Container.M.createArrayNode();
    for (JsonNode b : hc.path("Binds")) out.add(parseBind(b.asText()).inspect(volumes));
    for (JsonNode m : hc.path("Mounts")) out.add(parseMount(m).inspect(volumes));
    return out;
  }

  /** /etc/hosts of a container: localhost entries (no network address yet), its hostname, ExtraHosts. */
  static String hosts(String hostname, JsonNode hc) throws IOException {
    if ("host".equals(hc.path("NetworkMode").asText())) {
      try {
        return Files.readString(Path.of("/etc/hosts"));
      } catch (IOException e) {
        // fall through to the default
      }
    }
    StringBuilder b = new StringBuilder("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
        + "fe00::\tip6-localnet\nff00::\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n");
    for (JsonNode e : hc.path("ExtraHosts")) {
      String s = e.asText();
      int i = s.indexOf(':');
      if (i <= 0) throw new IllegalArgumentException("invalid extra host: " + s);
      b.append(s.substring(i + 1)).append('\t').append(s, 0, i).append('\n');
    }
    return b.toString();
  }

  /** resolv.conf: the host's (without loopback name servers unless on the host network), Dns* override. */
  static String resolvConf(JsonNode hc) {
    boolean host = "host".equals(hc.path("NetworkMode").asText());
    List<String> lines = new ArrayList<>();
    try {
      lines = Files.readAllLines(Path.of("/etc/resolv.conf"), StandardCharsets.UTF_8);
    } catch (IOException e) {
      // none: Docker's defaults below
    }
    List<String> ns = new ArrayList<>(), search = new ArrayList<>(), opts = new ArrayList<>();
    for (String l : lines) {
      String[] f = l.trim().split("\\s+");
      if (f.length < 2) continue;
      switch (f[0]) {
        case "nameserver" -> { if (host || !(f[1].startsWith("127.") || f[1].equals("::1"))) ns.add(f[1]); }
        case "search" -> search.addAll(List.of(f).subList(1, f.length));
        case "options" -> opts.addAll(List.of(f).subList(1, f.length));
        default -> {}
      }
    }
    if (hc.path("Dns").isArray() && !hc.get("Dns").isEmpty()) { ns.clear(); hc.get("Dns").forEach(x -> ns.add(x.asText())); }
    if (hc.path("DnsSearch").isArray() && !hc.get("DnsSearch").isEmpty()) { search.clear(); hc.get("DnsSearch").forEach(x -> search.add(x.asText())); }
    if (hc.path("DnsOptions").isArray() && !hc.get("DnsOptions").isEmpty()) { opts.clear(); hc.get("DnsOptions").forEach(x -> opts.add(x.asText())); }
    if (ns.isEmpty()) { ns.add("8.8.8.8"); ns.add("8.8.4.4"); }
    StringBuilder b = new StringBuilder();
    for (String n : ns) b.append("nameserver ").append(n).append('\n');
    if (!search.isEmpty()) b.append("search ").append(String.join(" ", search)).append('\n');
    if (!opts.isEmpty()) b.append("options ").append(String.join(" ", opts)).append('\n');
    return b.toString();
  }
}
