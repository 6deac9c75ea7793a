package dev.berth.engine.spec;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * HostConfig {@code Devices} and {@code DeviceCgroupRules}, and a privileged container's host
 * devices (moby {@code oci.DevicesFromPath}, {@code AppendDevicePermissionsFromCgroupRules}, runc's
 * {@code HostDevices}).
 */
public final class DeviceOptions {
  private DeviceOptions() {}

  /** A device node for {@code linux.devices}. */
  public record Device(String path, String type, long major, long minor, int fileMode, int uid, int gid) {}

  private static final int S_IFMT = 0170000;
  private static final int S_IFCHR = 0020000;
  private static final int S_IFBLK = 0060000;

  /** The device node at {@code p} (not following a last symlink), or null when it is none. */
  static Device node(Path p) throws IOException {
    int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    String type = switch (mode & S_IFMT) {
      case S_IFCHR -> "c";
      case S_IFBLK -> "b";
      default -> null;
    };
    if (type == null) return null;
    long rdev = (Long) Files.getAttribute(p, "unix:rdev", LinkOption.NOFOLLOW_LINKS);
    long major = ((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL);
    long minor = (rdev & 0xff) | ((rdev >>> 12) & ~0xffL);
    int uid = (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    int gid = (Integer) Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS);
    return new Device(p.toString(), type, major, minor & 0xfffff, mode & 07777, uid, gid);
  }

  /** The result of one {@code Devices} entry: nodes to create and the rules that allow them. */
  public record Mapped(List<Device> devices, List<DockerDefaults.DeviceRule> rules) {}

  /**
   * One {@code --device} mapping. A directory maps every device node under it.
   *
   * @throws IllegalArgumentException {@code error gathering device information while adding custom
   *     device "/dev/x": no such file or directory}, or a bad path or mode
   */
  public static Mapped fromPath(String onHost, String inContainer, String permissions) {
    if (onHost == null || onHost.isEmpty()) throw new IllegalArgumentException("device PathOnHost is empty");
    if (inContainer == null || inContainer.isEmpty()) inContainer = onHost;
    if (permissions == null || permissions.isEmpty()) permissions = "rwm";
    if (!permissions.matches("[rwm]{1,3}") || permissions.chars().distinct().count() != permissions.length()) {
      throw new IllegalArgumentException("invalid device mode: " + permissions);
    }
    if (!inContainer.startsWith("/")) throw new IllegalArgumentException(inContainer + " is not an absolute path");
    Path host = Path.of(onHost);
    List<Device> devs = new ArrayList<>();
    List<DockerDefaults.DeviceRule> rules = new ArrayList<>();
    String problem;
    try {
      Path resolved = Files.isSymbolicLink(host) ? host.toRealPath() : host;
      Device d = node(resolved);
      if (d != null) {
        add(devs, rules, d, inContainer, permissions);
        return new Mapped(devs, rules);
      }
      problem = "not a device node";
      if (Files.isDirectory(resolved)) {
        try (var walk = Files.walk(resolved)) {
          for (Path p : (Iterable<Path>) walk::iterator) {
            Device c = node(p);
            if (c == null) continue;
            add(devs, rules, c, inContainer + p.toString().substring(resolved.toString().length()), permissions);
          }
        }
      }
    } catch (NoSuchFileException e) {
      problem = "no such file or directory";
    } catch (IOException e) {
      problem = e.getMessage();
    }
    if (!devs.isEmpty()) return new Mapped(devs, rules);
    throw new IllegalArgumentException("error gathering device information while adding custom device "
        + GoQuote.q(onHost) + ": " + problem);
  }

  private static void add(List<Device> devs, List<DockerDefaults.DeviceRule> rules, Device d, String path, String perms) {
    devs.add(new Device(path, d.type(), d.major(), d.minor(), d.fileMode(), d.uid(), d.gid()));
    rules.add(new DockerDefaults.DeviceRule(true, d.type(), d.major(), d.minor(), perms));
  }

  private static final Pattern RULE = Pattern.compile("^([acb]) ([0-9]+|\\*):([0-9]+|\\*) ([rwm]{1,3})$");

  /**
   * One {@code --device-cgroup-rule} ("c 1:3 mr", "b *:* rwm") as an allow rule.
   *
   * @throws IllegalArgumentException {@code invalid device cgroup rule format: 'x'}
   */
  public static DockerDefaults.DeviceRule cgroupRule(String rule) {
    Matcher m = RULE.matcher(rule == null ? "" : rule);
    if (!m.matches()) throw new IllegalArgumentException("invalid device cgroup rule format: '" + rule + "'");
    Long major = null;
    Long minor = null;
    try {
      if (!m.group(2).equals("*")) major = Long.parseLong(m.group(2));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("invalid major value in device cgroup rule format: '" + rule + "'");
    }
    try {
      if (!m.group(3).equals("*")) minor = Long.parseLong(m.group(3));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("invalid minor value in device cgroup rule format: '" + rule + "'");
    }
    return new DockerDefaults.DeviceRule(true, m.group(1), major, minor, m.group(4));
  }

  private static final Set<String> SKIPPED_DIRS = Set.of("pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev");

  /**
   * Every character and block device under the host's /dev, as runc lists them for a privileged
   * container (pts, shm, mqueue and the like skipped, and console); /dev/ptmx is left out too: the
   * container's is its own devpts's.
   */
  public static List<Device> hostDevices() {
    List<Device> out = new ArrayList<>();
    walk(Path.of("/dev"), out);
    return out;
  }

  private static void walk(Path dir, List<Device> out) {
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        String name = p.getFileName().toString();
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          if (!SKIPPED_DIRS.contains(name)) walk(p, out);
          continue;
        }
        if (name.equals("console") || (dir.equals(Path.of("/dev")) && name.equals("ptmx"))) continue;
        try {
          Device d = node(p);
          if (d != null) out.add(d);
        } catch (IOException e) {
          // gone meanwhile
        }
      }
    } catch (IOException e) {
      // unreadable directory: its devices are not added
    }
  }
}
