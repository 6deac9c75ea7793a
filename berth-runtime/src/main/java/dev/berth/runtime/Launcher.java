package dev.berth.runtime;

import dev.berth.runtime.plan.Plan;
import dev.berth.sys.Linux;
import java.nio.file.Path;

/**
 * The hand-over: writes the plan into a memfd and execs berth-launch in this very process, so the
 * pid the caller spawned becomes the launcher (and, for run, the container's monitor) and the
 * JVM's memory is returned. Only returns by throwing.
 */
public final class Launcher {
  private Launcher() {}

  public static void handOff(Path launcher, Plan plan) {
    byte[] bytes = plan.encode();
    int fd = Linux.memfdCreate("berth-plan", 0);
    Linux.writeFully(fd, bytes);
    Linux.lseek(fd, 0, 0);
    String f = Integer.toString(fd);
    Linux.execve(launcher.toString(), new String[] {"berth-launch", "--plan-fd", f}, new String[0]);
    throw new IllegalStateException("execve returned");
  }
}
