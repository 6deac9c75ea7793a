package dev.berth.engine.containers;

import java.io.Closeable;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Deletion of a removed container's directories off the request's path: {@link #moveIn} renames a
 * directory into the trash directory (atomic, on the same file system: the name is gone at once,
 * so a new container may take it), and a background thread deletes what is in the trash. Whatever
 * a crash left there is deleted when the next engine opens the trash. A directory that cannot be
 * renamed there (another file system) is deleted in line, as before.
 */
public final class Trash implements Closeable {
  static PrintStream log = System.err;
  private final Path dir;
  private final AtomicLong seq = new AtomicLong();
  private final Object lock = new Object();
  private long moved, swept; // guarded by lock
  private volatile boolean closed;
  private final Thread sweeper;

  /** Opens (creating, mode 0700) the trash {@code dir} and starts its sweeper, which first deletes what an earlier engine left. */
  public Trash(Path dir) throws IOException {
    this.dir = dir;
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    try (var ds = Files.newDirectoryStream(dir)) {
      for (Path ignored : ds) moved++; // a crash's leftovers: swept first
    }
    sweeper = Thread.ofPlatform().daemon().name("berthd-trash").start(this::run);
  }

  public Path dir() { return dir; }

  /**
   * Renames {@code p} into the trash for the sweeper; true if it is gone from its place (or was
   * not there), false if it could not be moved (the caller deletes it itself).
   */
  public boolean moveIn(Path p) {
    if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return true;
    Path to = dir.resolve(p.getFileName() + "." + System.nanoTime() + "." + seq.incrementAndGet());
    try {
      Files.move(p, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      return false;
    } catch (IOException e) {
      log.println("berthd: cannot move " + p + " to the trash: " + e.getMessage());
      return false;
    }
    synchronized (lock) {
      moved++;
      lock.notifyAll();
    }
    return true;
  }

  /** Waits until what was moved in before this call is deleted; false if not within {@code millis}. */
  public boolean awaitSwept(long millis) throws InterruptedException {
    long end = System.currentTimeMillis() + millis;
    synchronized (lock) {
      long target = moved;
      while (swept < target) {
        long left = end - System.currentTimeMillis();
        if (left <= 0) return false;
        lock.wait(left);
      }
      return true;
    }
  }

  private void run() {
    while (!closed) {
      synchronized (lock) {
        while (swept >= moved && !closed) {
          try {
            lock.wait();
          } catch (InterruptedException e) {
            return;
          }
        }
      }
      if (closed) return;
      sweep();
    }
  }

  /** Deletes everything in the trash now (the sweeper's work; also for a caller that must not wait). */
  void sweep() {
    long target;
    synchronized (lock) {
      target = moved;
    }
    try (var ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) deleteTree(p);
    } catch (IOException e) {
      log.println("berthd: cannot sweep " + dir + ": " + e.getMessage());
    }
    synchronized (lock) {
      swept = Math.max(swept, target);
      lock.notifyAll();
    }
  }

  /** Deletes a tree without following symbolic links (a container's files may be any). */
  static void deleteTree(Path p) {
    try {
      Files.walkFileTree(p, new SimpleFileVisitor<>() {
        @Override public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
          Files.deleteIfExists(f);
          return FileVisitResult.CONTINUE;
        }

        @Override public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
          if (!(e instanceof NoSuchFileException)) Files.deleteIfExists(f);
          return FileVisitResult.CONTINUE;
        }

        @Override public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
          Files.deleteIfExists(d);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      log.println("berthd: cannot delete " + p + ": " + e.getMessage());
    }
  }

  @Override public void close() {
    closed = true;
    synchronized (lock) {
      lock.notifyAll();
    }
  }
}
