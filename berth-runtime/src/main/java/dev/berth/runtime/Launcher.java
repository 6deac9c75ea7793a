package dev.berth.runtime;

import dev.berth.runtime.plan.Plan;
import dev.berth.sys.Linux;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The hand-over to berth-launch, in this very process, so the pid the caller spawned becomes the
 * launcher (and, for run, the container's monitor) and the JVM's memory is returned. Only returns
 * by throwing.
 *
 * <p>Two routes. Through bin/berth-runc (property {@code berth.handoff}): the plan is written to a
 * root-only file named after the wrapper's pid, the JVM halts, and the wrapper execs the launcher
 * with {@code --plan-file} (it unlinks the file). This keeps the foreign-function machinery off the
 * start-up path. Otherwise: the plan goes into a memfd and the JVM execs the launcher itself.
 */
public final class Launcher {
  private Launcher() {}

  public static void handOff(Path launcher, Plan plan) {
    byte[] bytes = plan.encode();
    Trace.mark("hand-over: plan encoded");
    String handoff = System.getProperty("berth.handoff");
    if (handoff != null && writeHandoff(Path.of(handoff), bytes)) {
      Trace.mark("hand-over: plan written");
      System.out.flush();
      System.err.flush();
      Runtime.getRuntime().halt(0);
    }
    int fd = Linux.memfdCreate("berth-plan", 0);
    Linux.writeFully(fd, bytes);
    Linux.lseek(fd, 0, 0);
    String f = Integer.toString(fd);
    Linux.execve(launcher.toString(), new String[] {"berth-launch", "--plan-fd", f}, new String[0]);
    throw new IllegalStateException("execve returned");
  }

  /** A stale hand-over file (same wrapper pid, earlier crash) must never be executed. */
  public static void clearStaleHandoff() {
    String handoff = System.getProperty("berth.handoff");
    if (handoff == null) return;
    try {
      Files.deleteIfExists(Path.of(handoff));
    } catch (IOException ignored) {
      // not ours to remove: writeHandoff will refuse the directory
    }
  }

  private static boolean writeHandoff(Path file, byte[] bytes) {
    Path dir = file.getParent();
    try {
      if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
      // Only a directory that nobody else can write (not a symlink) may hold something we will exec with.
      if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
          || !Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS)
              .equals(PosixFilePermissions.fromString("rwx------"))
          || !Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS).getName().equals(System.getProperty("user.name"))) {
        return false;
      }
      Path tmp = dir.resolve(file.getFileName() + ".tmp");
      Files.write(tmp, bytes);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return true;
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }
}
