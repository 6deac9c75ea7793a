package dev.berth.runtime.ops;

import dev.berth.runtime.ContainerException;
import dev.berth.runtime.RuntimeContext;
import dev.berth.runtime.state.Container;
import dev.berth.runtime.state.Status;
import dev.berth.spec.Spec;
import dev.berth.sys.Linux;
import dev.berth.sys.SyscallException;
import java.io.IOException;
import java.nio.file.Files;

/**
 * start: releases the init blocked on the exec fifo (reads its one byte), removes the fifo, then
 * runs the poststart hooks.
 */
public final class Start {
  private static final int O_RDONLY = 0, O_NONBLOCK = 04000, O_CLOEXEC = 02000000, EAGAIN = 11;

  private Start() {}

  public static void start(RuntimeContext ctx, String id) {
    Container c = Lifecycle.load(ctx, id);
    Status s = Lifecycle.status(ctx, c);
    if (s != Status.CREATED) throw ContainerException.wrongState(id, s, "start");
    int pid = c.pid().getAsInt();
    int fd;
    try {
      fd = Linux.open(c.fifo().toString(), O_RDONLY | O_NONBLOCK | O_CLOEXEC, 0);
    } catch (SyscallException e) {
      throw ContainerException.wrongState(id, "not waiting for start (" + e.getMessage() + ")", "start");
    }
    try {
      byte[] one = new byte[1];
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (true) {
        int n;
        try {
          n = Linux.read(fd, one, 0, 1);
        } catch (SyscallException e) {
          if (e.errno() != EAGAIN) throw e;
          n = -1;
        }
        if (n == 1) break;
        if (!Linux.alive(pid)) throw ContainerException.wrongState(id, "stopped", "start");
        if (System.nanoTime() > deadline) {
          throw new ContainerException(ContainerException.Kind.SYSTEM, "container \"" + id + "\" did not start within 10s");
        }
        Thread.onSpinWait();
        Thread.sleep(1);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ContainerException(ContainerException.Kind.SYSTEM, "interrupted");
    } finally {
      Linux.close(fd);
    }
    try {
      Files.deleteIfExists(c.fifo());
    } catch (IOException e) {
      // status would still read created; report it
      throw new ContainerException(ContainerException.Kind.SYSTEM, "cannot remove " + c.fifo() + ": " + e.getMessage());
    }
    Spec spec = Hooks.config(c);
    if (spec != null) Hooks.run(spec, spec.hooks().poststart(), c, "running", pid, false);
  }
}
