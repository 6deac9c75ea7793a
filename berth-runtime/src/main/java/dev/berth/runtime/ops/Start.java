package dev.berth.runtime.ops;

import dev.berth.runtime.ContainerException;
import dev.berth.runtime.RuntimeContext;
import dev.berth.runtime.state.Container;
import dev.berth.runtime.state.ProcStat;
import dev.berth.runtime.state.Status;
import dev.berth.spec.Spec;
import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * start: releases the init blocked on the exec fifo (reads its one byte), then reads on to end of
 * file, which the init's execve causes (the write end is close-on-exec): text before it is the
 * launcher's error from the init (exec failed, a startContainer hook failed), and start fails with
 * it, as runc's start does. Then removes the fifo and runs the poststart hooks (after the exec, as
 * the runtime-spec asks). Plain java.io: the init holds the fifo's write end open-pending, so
 * opening the read end completes at once; a watchdog unblocks the read should the init die.
 */
public final class Start {
  private Start() {}

  public static void start(RuntimeContext ctx, String id) {
    Container c = Lifecycle.load(ctx, id);
    Status s = Lifecycle.status(ctx, c);
    if (s != Status.CREATED) throw ContainerException.wrongState(id, s, "start");
    int pid = c.pid().getAsInt();
    AtomicInteger got = new AtomicInteger(-2);
    ByteArrayOutputStream failure = new ByteArrayOutputStream();
    Thread reader = Thread.ofPlatform().daemon().start(() -> {
      try (FileInputStream in = new FileInputStream(c.fifo().toFile())) {
        int b = in.read();
        got.set(b);
        // The init keeps the write end open (close-on-exec) until its execve: end of file means
        // the process runs; text before it is the launcher's error from the init.
        if (b == '0') {
          byte[] buf = new byte[1024];
          for (int n; (n = in.read(buf)) > 0 && failure.size() < 4096; ) {
            synchronized (failure) {
              failure.write(buf, 0, n);
            }
          }
        }
      } catch (IOException e) {
        if (got.get() == -2) got.set(-3);
      }
    });
    try {
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (reader.isAlive()) {
        reader.join(5);
        if (!reader.isAlive()) break;
        if (got.get() == '0') {
          // released: the rest (startContainer hooks, the exec) ends with the init's exec or death
          if (!ProcStat.aliveSince(pid, Instant.EPOCH)) reader.join(1000);
          continue;
        }
        if (!ProcStat.aliveSince(pid, Instant.EPOCH) || System.nanoTime() > deadline) {
          // Unblock our own open/read, then report.
          try (FileOutputStream unblock = new FileOutputStream(c.fifo().toFile())) {
            unblock.flush();
          } catch (IOException ignored) {
            // the reader is gone already
          }
          reader.join(1000);
          if (got.get() != '0') {
            throw new ContainerException(ContainerException.Kind.SYSTEM,
                "container \"" + id + "\" did not start: its init " + (ProcStat.aliveSince(pid, Instant.EPOCH)
                    ? "did not answer within 10s" : "has exited"));
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ContainerException(ContainerException.Kind.SYSTEM, "interrupted");
    }
    if (got.get() < 0) throw ContainerException.wrongState(id, "stopped", "start");
    String failed;
    synchronized (failure) {
      failed = failure.toString(StandardCharsets.UTF_8).strip();
    }
    try {
      Files.deleteIfExists(c.fifo());
    } catch (IOException e) {
      throw new ContainerException(ContainerException.Kind.SYSTEM, "cannot remove " + c.fifo() + ": " + e.getMessage());
    }
    if (!failed.isEmpty()) throw new ContainerException(ContainerException.Kind.SYSTEM, failed);
    Spec spec = Hooks.config(c);
    if (spec != null && !spec.hooks().poststart().isEmpty()) Hooks.run(spec, spec.hooks().poststart(), c, "running", pid, false);
  }
}
