package dev.berth.runtime.convert;

import static dev.berth.sys.Linux.MS_BIND;
import static dev.berth.sys.Linux.MS_DIRSYNC;
import static dev.berth.sys.Linux.MS_MANDLOCK;
import static dev.berth.sys.Linux.MS_NOATIME;
import static dev.berth.sys.Linux.MS_NODEV;
import static dev.berth.sys.Linux.MS_NODIRATIME;
import static dev.berth.sys.Linux.MS_NOEXEC;
import static dev.berth.sys.Linux.MS_NOSUID;
import static dev.berth.sys.Linux.MS_NOSYMFOLLOW;
import static dev.berth.sys.Linux.MS_PRIVATE;
import static dev.berth.sys.Linux.MS_RDONLY;
import static dev.berth.sys.Linux.MS_REC;
import static dev.berth.sys.Linux.MS_RELATIME;
import static dev.berth.sys.Linux.MS_REMOUNT;
import static dev.berth.sys.Linux.MS_SHARED;
import static dev.berth.sys.Linux.MS_SLAVE;
import static dev.berth.sys.Linux.MS_STRICTATIME;
import static dev.berth.sys.Linux.MS_SYNCHRONOUS;
import static dev.berth.sys.Linux.MS_UNBINDABLE;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** fstab-style mount options → MS_* flags (berth-sys {@code Linux}'s, the one definition), propagation flags and the remaining data string. */
public record MountOptions(long flags, long propagation, String data) {
  /** option → {set, clear}. */
  private static final Map<String, long[]> FLAGS = Map.ofEntries(
      Map.entry("async", new long[] {0, MS_SYNCHRONOUS}), Map.entry("atime", new long[] {0, MS_NOATIME}),
      Map.entry("bind", new long[] {MS_BIND, 0}), Map.entry("defaults", new long[] {0, 0}),
      Map.entry("dev", new long[] {0, MS_NODEV}), Map.entry("diratime", new long[] {0, MS_NODIRATIME}),
      Map.entry("dirsync", new long[] {MS_DIRSYNC, 0}), Map.entry("exec", new long[] {0, MS_NOEXEC}),
      Map.entry("mand", new long[] {MS_MANDLOCK, 0}), Map.entry("noatime", new long[] {MS_NOATIME, 0}),
      Map.entry("nodev", new long[] {MS_NODEV, 0}), Map.entry("nodiratime", new long[] {MS_NODIRATIME, 0}),
      Map.entry("noexec", new long[] {MS_NOEXEC, 0}), Map.entry("nosuid", new long[] {MS_NOSUID, 0}),
      Map.entry("rbind", new long[] {MS_BIND | MS_REC, 0}), Map.entry("relatime", new long[] {MS_RELATIME, 0}),
      Map.entry("norelatime", new long[] {0, MS_RELATIME}), Map.entry("remount", new long[] {MS_REMOUNT, 0}),
      Map.entry("ro", new long[] {MS_RDONLY, 0}), Map.entry("rw", new long[] {0, MS_RDONLY}),
      Map.entry("strictatime", new long[] {MS_STRICTATIME, 0}), Map.entry("nostrictatime", new long[] {0, MS_STRICTATIME}),
      Map.entry("suid", new long[] {0, MS_NOSUID}), Map.entry("sync", new long[] {MS_SYNCHRONOUS, 0}),
      Map.entry("nosymfollow", new long[] {MS_NOSYMFOLLOW, 0}), Map.entry("symfollow", new long[] {0, MS_NOSYMFOLLOW}));

  private static final Map<String, Long> PROPAGATION = Map.of(
      "private", MS_PRIVATE, "rprivate", MS_PRIVATE | MS_REC, "shared", MS_SHARED, "rshared", MS_SHARED | MS_REC,
      "slave", MS_SLAVE, "rslave", MS_SLAVE | MS_REC, "unbindable", MS_UNBINDABLE,
      "runbindable", MS_UNBINDABLE | MS_REC);

  /** Options only meaningful to other runtimes or to mount helpers; accepted and ignored. */
  private static final List<String> IGNORED = List.of("tmpcopyup", "idmap", "ridmap", "copy-symlink", "_netdev",
      "auto", "noauto", "user", "nouser", "owner", "nofail");

  public static MountOptions parse(List<String> options) {
    long flags = 0;
    long propagation = 0;
    List<String> data = new ArrayList<>();
    for (String o : options) {
      long[] f = FLAGS.get(o);
      if (f != null) {
        flags = (flags | f[0]) & ~f[1];
        continue;
      }
      Long p = PROPAGATION.get(o);
      if (p != null) {
        propagation = p;
        continue;
      }
      // Recursive read-only-style options (rro, rnosuid, ...) are applied like their plain form.
      if (o.length() > 1 && o.charAt(0) == 'r' && FLAGS.containsKey(o.substring(1)) && !o.equals("relatime")) {
        long[] rf = FLAGS.get(o.substring(1));
        flags = (flags | rf[0]) & ~rf[1];
        continue;
      }
      if (IGNORED.contains(o)) continue;
      data.add(o);
    }
    return new MountOptions(flags, propagation, String.join(",", data));
  }

  public static long propagation(String name) {
    Long p = PROPAGATION.get(name);
    return p == null ? 0 : p;
  }
}
