package dev.berth.image.store;

import dev.berth.image.api.ImageException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Keeps prune from deleting what a pull, import, load or commit is writing: those hold the lock
 * shared, prune holds it exclusive, in this JVM (a read-write lock) and across processes (flock on
 * {@code ROOT/.gc}, shared while any writer of this JVM runs). A killed process's flock goes with it.
 */
final class GcLock {
    private static final Map<Path, GcLock> BY_ROOT = new ConcurrentHashMap<>();

    private final Path file;
    private final ReentrantReadWriteLock jvm = new ReentrantReadWriteLock();
    private int writers;
    private FileChannel channel;
    private FileLock shared;

    private GcLock(Path file) { this.file = file; }

    static GcLock of(Path root) { return BY_ROOT.computeIfAbsent(root, r -> new GcLock(r.resolve(".gc"))); }

    /** Held while content is added to the store. */
    AutoCloseable adding() {
        jvm.readLock().lock();
        try {
            synchronized (this) {
                if (writers++ == 0) {
                    channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ);
                    shared = channel.lock(0, Long.MAX_VALUE, true);
                }
            }
        } catch (IOException e) {
            synchronized (this) { writers--; }
            jvm.readLock().unlock();
            throw new ImageException.Store("cannot lock " + file + ": " + e.getMessage(), e);
        }
        return () -> {
            synchronized (this) {
                if (--writers == 0) {
                    try { shared.release(); channel.close(); } catch (IOException ignored) {}
                    shared = null;
                    channel = null;
                }
            }
            jvm.readLock().unlock();
        };
    }

    /** Held by prune: waits for every adder, here and in other processes. */
    <T> T collecting(java.util.function.Supplier<T> body) {
        jvm.writeLock().lock();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = ch.lock()) {
            return body.get();
        } catch (IOException e) {
            throw new ImageException.Store("cannot lock " + file + ": " + e.getMessage(), e);
        } finally {
            jvm.writeLock().unlock();
        }
    }
}
