package dev.berth.engine.drift;

import dev.berth.sys.Fanotify;
import dev.berth.sys.Pty;
import dev.berth.sys.SyscallException;
import dev.berth.sys.Syscalls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/**
 * The kernel side of {@code berth.drift=deny-exec}: one fanotify group per guarded container,
 * marked {@code FAN_OPEN_EXEC_PERM} on the whole overlay file system of its root
 * ({@code FAN_MARK_FILESYSTEM}: every mount of that superblock, so the container's own mount in
 * its mount namespace too, and exec through {@code docker exec}). Every execve (and
 * uselib/ld.so mapping opened for exec) of a file of that overlay waits for this guard's answer:
 * {@code FAN_DENY} (execve fails with EPERM inside the container) when the file exists in the
 * container's upper dir, i.e. was added or changed after the container was created;
 * {@code FAN_ALLOW} otherwise.
 *
 * <p>The listener is a platform thread per container (blocking FFM calls), polling its group's fd
 * once a second so that {@link #disarm} ends it. If berthd dies, the kernel closes the group's
 * fd: pending permission events are allowed and no new ones are made, so a container is never
 * blocked by a missing berthd — but it is not guarded either until berthd starts it again.
 */
public final class ExecGuard implements AutoCloseable {
  private final Syscalls sys;
  private final BiConsumer<String, String> denied; // (container id, path in the container)
  private final Map<String, Listener> listeners = new ConcurrentHashMap<>();

  public ExecGuard(Syscalls sys, BiConsumer<String, String> denied) {
    this.sys = sys;
    this.denied = denied;
  }

  /** Guards container {@code id} whose overlay is mounted at {@code rootfs} with upper dir {@code upper} (again: replaces the old guard). */
  public void arm(String id, Path rootfs, Path upper) {
    disarm(id);
    int fd = sys.fanotifyInit(Fanotify.FAN_CLASS_CONTENT | Fanotify.FAN_CLOEXEC, Fanotify.EVENT_F_FLAGS);
    try {
      sys.fanotifyMark(fd, Fanotify.FAN_MARK_ADD | Fanotify.FAN_MARK_FILESYSTEM, Fanotify.FAN_OPEN_EXEC_PERM, rootfs.toString());
    } catch (RuntimeException e) {
      sys.close(fd);
      throw e;
    }
    Listener l = new Listener(id, fd, rootfs.toString(), upper);
    listeners.put(id, l);
    Thread.ofPlatform().daemon().name("berth-exec-guard-" + id.substring(0, Math.min(12, id.length()))).start(l);
  }

  /** Ends the guard of {@code id}, if any (its thread closes the group: pending events are allowed). */
  public void disarm(String id) {
    Listener l = listeners.remove(id);
    if (l != null) l.stop = true;
  }

  public boolean armed(String id) { return listeners.containsKey(id); }

  @Override public void close() {
    for (String id : listeners.keySet()) disarm(id);
  }

  /** Whether the file of an exec event, at {@code path} as the kernel names it, is in the upper dir. */
  static boolean inUpper(Path upper, String rootfs, String path) {
    if (path.endsWith(" (deleted)")) path = path.substring(0, path.length() - 10);
    if (path.startsWith(rootfs + "/")) path = path.substring(rootfs.length()); // opened through berthd's own mount
    if (!path.startsWith("/")) return false; // not a path we can place: allow
    Path p = upper.resolve(path.substring(1)).normalize();
    if (!p.startsWith(upper)) return false;
    return Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS);
  }

  private final class Listener implements Runnable {
    final String id, rootfs;
    final int fd;
    final Path upper;
    volatile boolean stop;

    Listener(String id, int fd, String rootfs, Path upper) {
      this.id = id;
      this.fd = fd;
      this.rootfs = rootfs;
      this.upper = upper;
    }

    @Override public void run() {
      byte[] buf = new byte[4096];
      try {
        while (!stop) {
          int rev = sys.poll(fd, Pty.POLLIN, 1000);
          if ((rev & Pty.POLLIN) == 0) continue;
          int n = sys.read(fd, buf, 0, buf.length);
          for (int off = 0; off + Fanotify.METADATA_LEN <= n; ) {
            Fanotify.Event e = Fanotify.Event.at(buf, off);
            if (e.length() < Fanotify.METADATA_LEN) break;
            off += e.length();
            if (e.fd() < 0) continue;
            int answer = Fanotify.FAN_ALLOW;
            String path = null;
            try {
              path = Files.readSymbolicLink(Path.of("/proc/self/fd/" + e.fd())).toString();
              if ((e.mask() & Fanotify.FAN_OPEN_EXEC_PERM) != 0 && inUpper(upper, rootfs, path)) answer = Fanotify.FAN_DENY;
            } catch (IOException | RuntimeException ex) {
              // cannot name the file: allow (a guard failure must not stop the container)
            }
            try {
              sys.writeFully(fd, Fanotify.response(e.fd(), answer));
            } finally {
              sys.close(e.fd());
            }
            if (answer == Fanotify.FAN_DENY) {
              String inContainer = path.startsWith(rootfs + "/") ? path.substring(rootfs.length()) : path;
              try {
                denied.accept(id, inContainer);
              } catch (RuntimeException ex) {
                // the event is best effort
              }
            }
          }
        }
      } catch (SyscallException ex) {
        System.err.println("berthd: exec guard of " + id + " ended: " + ex.getMessage());
      } finally {
        sys.close(fd);
      }
    }
  }
}
