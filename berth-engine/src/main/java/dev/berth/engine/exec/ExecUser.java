package dev.berth.engine.exec;

import dev.berth.runtime.ContainerException;
import dev.berth.spec.Process;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Docker's {@code --user user[:group]} (names or numbers) resolved against the container's
 * /etc/passwd and /etc/group, as dockerd does: a name must exist; a number need not; without a
 * group the user's primary group, and the groups that list the user as supplementary ones. The
 * files are read from the container's root on the host and never through a symlink (the
 * container's content must not make berthd read a host file).
 */
final class ExecUser {
  private ExecUser() {}

  static Process.User resolve(String spec, Path rootfs, Process.User base) {
    String userPart = spec;
    String groupPart = null;
    int colon = spec.indexOf(':');
    if (colon >= 0) {
      userPart = spec.substring(0, colon);
      groupPart = spec.substring(colon + 1);
    }
    List<String[]> passwd = read(rootfs, "passwd");
    List<String[]> group = read(rootfs, "group");
    long uid;
    long gid = 0;
    String name = null;
    String[] entry = find(passwd, userPart);
    if (entry != null) {
      uid = Long.parseLong(entry[2]);
      gid = Long.parseLong(entry[3]);
      name = entry[0];
    } else if (userPart.matches("[0-9]{1,10}")) {
      uid = Long.parseLong(userPart);
    } else {
      throw new ContainerException(ContainerException.Kind.INVALID,
          "unable to find user " + userPart + ": no matching entries in passwd file");
    }
    if (groupPart != null && !groupPart.isEmpty()) {
      String[] g = find(group, groupPart);
      if (g != null) gid = Long.parseLong(g[2]);
      else if (groupPart.matches("[0-9]{1,10}")) gid = Long.parseLong(groupPart);
      else throw new ContainerException(ContainerException.Kind.INVALID,
          "unable to find group " + groupPart + ": no matching entries in group file");
    }
    List<Long> extra = new ArrayList<>();
    if (name != null && (groupPart == null || groupPart.isEmpty())) {
      for (String[] g : group) {
        if (g.length < 4 || g[3].isEmpty()) continue;
        for (String member : g[3].split(",")) {
          if (member.equals(name) && g[2].matches("[0-9]{1,10}")) extra.add(Long.parseLong(g[2]));
        }
      }
    }
    return new Process.User(uid, gid, base == null ? null : base.umask(), extra);
  }

  private static String[] find(List<String[]> entries, String key) {
    for (String[] e : entries) if (e[0].equals(key)) return e;
    if (key.matches("[0-9]{1,10}")) {
      for (String[] e : entries) if (e[2].equals(key)) return e;
    }
    return null;
  }

  private static List<String[]> read(Path rootfs, String file) {
    List<String[]> out = new ArrayList<>();
    Path etc = rootfs.resolve("etc");
    Path f = etc.resolve(file);
    if (rootfs == null || Files.isSymbolicLink(etc) || !Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) return out;
    try {
      if (Files.size(f) > 4 * 1024 * 1024) return out;
      for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
        String[] p = line.split(":", -1);
        if (p.length < 3 || line.startsWith("#") || !p[2].matches("[0-9]{1,10}")) continue;
        if (file.equals("passwd") && (p.length < 4 || !p[3].matches("[0-9]{1,10}"))) continue;
        out.add(p);
      }
    } catch (IOException | java.io.UncheckedIOException e) {
      // unreadable: as if absent (names then fail, numbers still work)
    }
    return out;
  }
}
