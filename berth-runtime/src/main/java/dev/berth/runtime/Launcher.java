package dev.berth.runtime;

import dev.berth.runtime.plan.Plan;
import dev.berth.runtime.state.ProcRecord;
import dev.berth.runtime.state.ProcStat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

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
    if (handoff != null && wrapperGone()) {
      // Nobody would exec the launcher: the caller undoes the create instead of leaving it half made.
      throw new ContainerException(ContainerException.Kind.SYSTEM, "berth-runc was killed during the create: undone");
    }
    if (handoff != null) sweepHandoffs(Path.of(handoff));
    if (handoff != null && writeHandoff(Path.of(handoff), bytes)) {
      Trace.mark("hand-over: plan written");
      System.out.flush();
      System.err.flush();
      Runtime.getRuntime().halt(0);
    }
    execPlan(dev.berth.sys.Syscalls.linux(), launcher, bytes);
    throw new IllegalStateException("execve returned");
  }

  /**
   * Becomes {@code launcher} with the plan in a memfd it inherits ({@code --plan-fd}). Returns only
   * by throwing; the memfd is closed again then, so a failed exec leaves no descriptor behind.
   */
  static void execPlan(dev.berth.sys.Syscalls sys, Path launcher, byte[] plan) {
    int fd = sys.memfdCreate("berth-plan", 0);
    try {
      sys.writeFully(fd, plan);
      sys.lseek(fd, 0, 0);
      String f = Integer.toString(fd);
      sys.execve(launcher.toString(), new String[] {"berth-launch", "--plan-fd", f}, new String[0]);
    } catch (RuntimeException e) {
      try { sys.close(fd); } catch (RuntimeException e2) { e.addSuppressed(e2); }
      throw e;
    }
  }

  /**
   * The processes that create a container from here on: this JVM and, through bin/berth-runc, the
   * wrapper, which becomes the launcher (same pid) at the hand-over.
   */
  public static List<ProcRecord> creators() {
    List<ProcRecord> out = new ArrayList<>();
    ProcRecord self = ProcRecord.of(ProcessHandle.current().pid());
    if (self != null) out.add(self);
    long wrapper = wrapperPid();
    ProcRecord w = wrapper > 0 ? ProcRecord.of(wrapper) : null;
    if (w != null) out.add(w);
    return out;
  }

  /** bin/berth-runc's pid (the hand-over file is named after it), or -1 without the wrapper. */
  static long wrapperPid() {
    String handoff = System.getProperty("berth.handoff");
    if (handoff == null) return -1;
    try {
      return Long.parseLong(Path.of(handoff).getFileName().toString());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** The wrapper that would exec the launcher is no longer our parent: it was killed. */
  static boolean wrapperGone() {
    long w = wrapperPid();
    return w > 0 && ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L) != w;
  }

  /**
   * Hand-over files no process owns (its wrapper was killed between the JVM's write and the
   * launcher's unlink): each is named after its wrapper's pid, so one whose pid is gone, or is no
   * berth process (bin/berth-runc, or the launcher it became), is removed. Such a file is never
   * executed anyway (a wrapper of the same pid removes it first: {@link #clearStaleHandoff}).
   */
  static void sweepHandoffs(Path ours) {
    Path dir = ours.getParent();
    if (dir == null) return;
    try (var ds = Files.newDirectoryStream(dir)) {
      for (Path f : ds) {
        String name = f.getFileName().toString();
        String num = name.endsWith(".tmp") ? name.substring(0, name.length() - 4) : name;
        if (f.equals(ours) || !num.matches("[0-9]{1,10}")) continue;
        if (!berthProcess(Long.parseLong(num))) Files.deleteIfExists(f);
      }
    } catch (IOException | RuntimeException e) {
      // best effort: a later create tries again
    }
  }

  private static boolean berthProcess(long pid) {
    if (ProcStat.startTicks(pid) < 0) return false;
    try {
      String cmd = new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline")), java.nio.charset.StandardCharsets.UTF_8);
      return cmd.contains("berth");
    } catch (IOException e) {
      return false;
    }
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

  /**
   * The in-process route, for a long-lived caller (berthd): the launcher runs as a child process
   * and this JVM goes on. The plan goes to a file in {@code planDir} (made root-only 0700; the
   * launcher opens and unlinks it), the launcher's pid is recorded as the container's creator
   * (never this JVM: {@code delete -f} kills an unfinished creator), stdin is /dev/null, stdout is
   * discarded and stderr (its one-line error) is returned with the exit code once it exits. With
   * action "run" and a monitor, it exits once the container runs, leaving the monitor.
   */
  public record Spawned(int exitCode, String stderr) {
    public boolean ok() { return exitCode == 0; }
  }

  public static Spawned spawn(Path launcher, Plan plan, Path planDir, dev.berth.runtime.state.StateStore store, String id) {
    byte[] bytes = plan.encode();
    Path file = null;
    try {
      Files.createDirectories(planDir);
      Files.setPosixFilePermissions(planDir, PosixFilePermissions.fromString("rwx------"));
      if (!Files.getOwner(planDir, LinkOption.NOFOLLOW_LINKS).getName().equals(System.getProperty("user.name"))
          || Files.isSymbolicLink(planDir)) {
        throw new ContainerException(ContainerException.Kind.SYSTEM, "plan directory " + planDir + " is not ours");
      }
      file = Files.createTempFile(planDir, "plan-", "");
      Files.write(file, bytes);
      ProcessBuilder pb = new ProcessBuilder(launcher.toString(), "--plan-file", file.toString())
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
          .redirectOutput(ProcessBuilder.Redirect.DISCARD);
      pb.environment().remove("BERTH_PLAN_KEY");
      Process p = pb.start();
      ProcRecord self = ProcRecord.of(p.pid());
      if (self != null && store != null && id != null) {
        try {
          store.saveProcs(id, "creator", List.of(self));
        } catch (RuntimeException e) {
          // the state directory is gone already: the launcher fails on its own
        }
      }
      byte[] err;
      try (var in = p.getErrorStream()) {
        err = in.readNBytes(64 * 1024);
        in.transferTo(java.io.OutputStream.nullOutputStream());
      }
      int code = p.waitFor();
      return new Spawned(code, new String(err, java.nio.charset.StandardCharsets.UTF_8).strip());
    } catch (IOException e) {
      throw new ContainerException(ContainerException.Kind.SYSTEM, "cannot run " + launcher + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ContainerException(ContainerException.Kind.SYSTEM, "interrupted while starting the container");
    } finally {
      if (file != null) {
        try {
          Files.deleteIfExists(file);
        } catch (IOException ignored) {
          // the launcher unlinks it
        }
      }
    }
  }
}
