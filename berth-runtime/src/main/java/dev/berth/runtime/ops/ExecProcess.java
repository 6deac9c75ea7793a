package dev.berth.runtime.ops;

import dev.berth.runtime.ContainerException;
import dev.berth.runtime.RuntimeContext;
import dev.berth.runtime.plan.Plan;
import dev.berth.spec.Process;
import dev.berth.sys.Pty;
import dev.berth.sys.SyscallException;
import dev.berth.sys.Syscalls;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;

/**
 * An exec'd process in a running container, for a process that stays alive (berthd): the launcher
 * ({@code berth-launch --plan-file}, plan from {@link Exec#prepare}) is this JVM's child and waits
 * for the process, so its exit code is the process's.
 *
 * <p>Without a terminal the launcher's stdio (pipes) is the process's. With one
 * ({@code process.terminal}) the launcher opens the pty inside the container and sends its master
 * over a console socket this class listens on (runc's protocol); the JVM then holds the master:
 * it relays it and resizes it ({@link #resize}). The launcher's own error (exec failed, ...) is on
 * its stderr, which is then copied to the output after the pty's.
 *
 * <p>Plan, pid file and console socket live in {@code <root>/.exec/} (root-only), named by a
 * random token; the launcher unlinks the plan, this class the rest.
 */
public final class ExecProcess {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Syscalls sys;
  private final java.lang.Process launcher;
  private final boolean tty;
  private final long pid;
  private final Object lock = new Object();
  private int master = -1;
  private boolean masterClosed;
  private final OutputStream stdin;
  private final CompletableFuture<Integer> done = new CompletableFuture<>();
  private String failure;

  private ExecProcess(Syscalls sys, java.lang.Process launcher, boolean tty, long pid, int master) {
    this.sys = sys;
    this.launcher = launcher;
    this.tty = tty;
    this.pid = pid;
    this.master = master;
    this.stdin = tty ? new PtyOutput() : launcher.getOutputStream();
  }

  /**
   * Starts {@code process} in container {@code id} (running). With {@code attach}, stdin is open
   * ({@link #stdin}) and the output goes to {@code out}/{@code err} (null: discarded; with a
   * terminal everything goes to {@code out}); without it, stdin is /dev/null and output is
   * discarded. Returns once the process runs (or the launcher failed: see {@link #onExit}).
   */
  public static ExecProcess start(RuntimeContext ctx, String id, Process process, boolean attach, OutputStream out,
      OutputStream err) {
    return start(Syscalls.linux(), ctx, id, process, attach, out, err, null);
  }

  /** As {@link #start(RuntimeContext, String, Process, boolean, OutputStream, OutputStream)}; with {@code debug}, a debug session (Exec.Debug). */
  public static ExecProcess start(RuntimeContext ctx, String id, Process process, boolean attach, OutputStream out,
      OutputStream err, Exec.Debug debug) {
    return start(Syscalls.linux(), ctx, id, process, attach, out, err, debug);
  }

  /** As above, reaching the kernel (console socket, pty, signals) through {@code sys}. */
  static ExecProcess start(Syscalls sys, RuntimeContext ctx, String id, Process process, boolean attach,
      OutputStream out, OutputStream err, Exec.Debug debug) {
    Path dir = privateDir(ctx.store().root().resolve(".exec"));
    String token = HexFormat.of().formatHex(bytes(8));
    Path planFile = dir.resolve(token + ".plan");
    Path pidFile = dir.resolve(token + ".pid");
    Path sock = dir.resolve(token + ".sock");
    boolean tty = process.terminal();
    int listen = -1;
    java.lang.Process launcher = null;
    try {
      Plan plan = Exec.prepare(ctx, new Exec.Request(id, process, pidFile, tty ? sock : null, false, 0), debug);
      if (tty) listen = sys.unixListen(sock.toString());
      Files.write(planFile, plan.encode(), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      ProcessBuilder pb = new ProcessBuilder(ctx.launcher().toString(), "--plan-file", planFile.toString());
      if (!attach || tty) pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
      if (!attach) pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
      try {
        launcher = pb.start();
      } catch (IOException e) {
        throw new ContainerException(ContainerException.Kind.SYSTEM, "cannot start " + ctx.launcher() + ": " + e.getMessage(), e);
      }
      int master = tty ? receiveMaster(sys, listen, launcher) : -1;
      long pid = awaitPid(pidFile, launcher);
      ExecProcess x = new ExecProcess(sys, launcher, tty, pid, master);
      if (pid < 0) {
        // The launcher failed before the process ran (no such program, a bad user, ...): its
        // message is the whole story; exit codes as Docker's (127 not found, 126 otherwise).
        x.launcher.waitFor();
        String msg = new String(x.launcher.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (x.launcher.exitValue() == 0) msg = "the launcher exited before the process ran";
        x.failure = msg;
        x.closeMaster();
        x.done.complete(msg.contains("not found") || msg.contains("No such file") ? 127 : 126);
        return x;
      }
      x.pump(token, attach, out, err);
      return x;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      if (launcher != null) launcher.destroyForcibly();
      throw new ContainerException(ContainerException.Kind.SYSTEM, "exec in \"" + id + "\": interrupted", e);
    } catch (RuntimeException | IOException e) {
      if (launcher != null) launcher.destroyForcibly();
      if (e instanceof RuntimeException re) throw re;
      throw new ContainerException(ContainerException.Kind.SYSTEM, "exec in \"" + id + "\": " + e.getMessage(), e);
    } finally {
      if (listen >= 0) sys.close(listen);
      for (Path p : new Path[] {planFile, pidFile, sock}) {
        try {
          Files.deleteIfExists(p);
        } catch (IOException ignored) {
          // root-only directory; a leftover is harmless and named by a token nobody reuses
        }
      }
    }
  }

  /**
   * Why the process never ran (the launcher's message, e.g. {@code berth-runc: exec: executable
   * file not found in $PATH: foo: ...}), or null once it runs. Nothing is relayed then: the caller
   * reports it; {@link #onExit} has completed with 127 (not found) or 126.
   */
  public String failure() {
    return failure;
  }

  /** The exec'd process's pid on the host, or -1 if the launcher failed before it ran. */
  public long pid() {
    return pid;
  }

  public boolean tty() {
    return tty;
  }

  /** The process's stdin (attached only); closing it is end of file for the process (not with a terminal). */
  public OutputStream stdin() {
    return stdin;
  }

  /** Completes with the exit code (the launcher's: 126/127 when the exec failed) once all output is out. */
  public CompletableFuture<Integer> onExit() {
    return done;
  }

  /** The terminal's size (with a terminal; ignored without, or once the process is gone). */
  public void resize(int rows, int cols) {
    if (!tty) return;
    synchronized (lock) {
      if (masterClosed || master < 0) return;
      try {
        sys.resizeTerminal(master, rows, cols);
      } catch (SyscallException e) {
        // the terminal is gone with the process
      }
    }
  }

  /** Signals the process (through the launcher, which forwards it). */
  public void signal(int sig) {
    if (launcher.isAlive()) sys.kill((int) launcher.pid(), sig);
  }

  private void pump(String token, boolean attach, OutputStream out, OutputStream err) {
    Thread o;
    Thread e = null;
    if (tty) {
      o = thread(token + "-pty", () -> {
        relayMaster(attach ? out : null);
        copy(launcher.getErrorStream(), attach ? out : null);
      });
    } else if (attach) {
      o = thread(token + "-out", () -> copy(launcher.getInputStream(), out));
      e = thread(token + "-err", () -> copy(launcher.getErrorStream(), err));
    } else {
      o = null;
    }
    Thread err2 = e;
    Thread watcher = thread(token + "-wait", () -> {
      int code;
      try {
        code = launcher.waitFor();
        if (o != null) o.join();
        if (err2 != null) err2.join();
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        code = 255;
      }
      closeMaster();
      done.complete(code);
    });
    if (o != null) o.start();
    if (e != null) e.start();
    watcher.start();
  }

  private static Thread thread(String name, Runnable r) {
    Thread t = new Thread(r, "berth-exec-" + name);
    t.setDaemon(true);
    return t;
  }

  private static void copy(InputStream in, OutputStream out) {
    byte[] buf = new byte[8192];
    boolean sinkOk = out != null;
    try (in) {
      int n;
      while ((n = in.read(buf)) > 0) {
        if (!sinkOk) continue; // keep draining: the process must not block on a full pipe
        try {
          out.write(buf, 0, n);
          out.flush();
        } catch (IOException ex) {
          sinkOk = false;
        }
      }
    } catch (IOException ignored) {
      // the launcher is gone
    }
  }

  /** Copies the pty's output until the peer is closed everywhere, or the launcher is gone and nothing is left. */
  private void relayMaster(OutputStream out) {
    byte[] buf = new byte[8192];
    boolean sinkOk = out != null;
    while (true) {
      if (master < 0) return;
      int r = sys.poll(master, Pty.POLLIN, 200);
      if ((r & Pty.POLLIN) != 0) {
        int n;
        try {
          n = sys.read(master, buf, 0, buf.length);
        } catch (SyscallException e) {
          return; // EIO: no process holds the terminal any more
        }
        if (n <= 0) return;
        if (sinkOk) {
          try {
            out.write(buf, 0, n);
            out.flush();
          } catch (IOException e) {
            sinkOk = false;
          }
        }
      } else if ((r & (Pty.POLLHUP | Pty.POLLERR | Pty.POLLNVAL)) != 0) {
        return;
      } else if (!launcher.isAlive() && sys.poll(master, Pty.POLLIN, 0) == 0) {
        return; // a background process may keep the terminal open: the exec is over anyway
      }
    }
  }

  private void closeMaster() {
    synchronized (lock) {
      if (master >= 0 && !masterClosed) {
        masterClosed = true;
        sys.close(master);
      }
    }
  }

  /** Input to the terminal; written in small pieces so a closed terminal never blocks a writer for long. */
  private final class PtyOutput extends OutputStream {
    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      while (len > 0) {
        synchronized (lock) {
          if (masterClosed || master < 0) throw new IOException("the exec'd process is gone");
          int r = sys.poll(master, (short) 0x4 /* POLLOUT */, 200);
          if ((r & (Pty.POLLHUP | Pty.POLLERR | Pty.POLLNVAL)) != 0) throw new IOException("terminal closed");
          if ((r & 0x4) == 0) continue;
          int n = Math.min(len, 512);
          try {
            sys.writeFully(master, java.util.Arrays.copyOfRange(b, off, off + n));
          } catch (SyscallException e) {
            throw new IOException("terminal: " + e.getMessage(), e);
          }
          off += n;
          len -= n;
        }
      }
    }
  }

  /**
   * The pty master the launcher sends over the console socket; -1 if the launcher ended first. The
   * connection is closed whatever happens (a message without a descriptor is an error).
   */
  static int receiveMaster(Syscalls sys, int listen, java.lang.Process launcher) {
    while (true) {
      int r = sys.poll(listen, Pty.POLLIN, 100);
      if ((r & Pty.POLLIN) != 0) {
        int conn = sys.accept(listen);
        try {
          return sys.receiveFd(conn);
        } finally {
          sys.close(conn);
        }
      }
      if ((r & Pty.POLLNVAL) != 0) throw new SyscallException("poll", 9 /* EBADF */, "console socket fd " + listen);
      if (!launcher.isAlive()) return -1; // it failed first: its stderr says why
    }
  }

  private static long awaitPid(Path pidFile, java.lang.Process launcher) throws IOException {
    for (int i = 0; ; i++) {
      try {
        String s = Files.readString(pidFile, StandardCharsets.UTF_8).trim();
        if (!s.isEmpty()) return Long.parseLong(s);
      } catch (java.nio.file.NoSuchFileException e) {
        // not yet
      }
      if (!launcher.isAlive()) {
        // it may have written the pid file, and the process ended, between the read above and now (`true`)
        try {
          String s = Files.readString(pidFile, StandardCharsets.UTF_8).trim();
          if (!s.isEmpty()) return Long.parseLong(s);
        } catch (java.nio.file.NoSuchFileException e) {
          // never ran
        }
        return -1;
      }
      try {
        Thread.sleep(i < 50 ? 2 : 20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted");
      }
    }
  }

  private static byte[] bytes(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  /** A directory only root can use (created 0700; refused if anyone else could write or it is a symlink). */
  static Path privateDir(Path dir) {
    try {
      if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
        try {
          Files.createDirectories(dir.getParent());
          Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (java.nio.file.FileAlreadyExistsException ignored) {
          // made meanwhile: checked below
        }
      }
      if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
          || !Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS).equals(PosixFilePermissions.fromString("rwx------"))
          || !Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS).getName().equals(System.getProperty("user.name"))) {
        throw new ContainerException(ContainerException.Kind.SYSTEM, dir + " must be a directory of mode 0700 owned by "
            + System.getProperty("user.name"));
      }
      return dir;
    } catch (IOException e) {
      throw new ContainerException(ContainerException.Kind.SYSTEM, "cannot make " + dir + ": " + e.getMessage(), e);
    }
  }
}
