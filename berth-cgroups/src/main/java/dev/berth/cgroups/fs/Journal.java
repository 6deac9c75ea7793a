package dev.berth.cgroups.fs;

import dev.berth.cgroups.CgroupException;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Records how to undo each write of one create/update so a failure can restore what was in force.
 * Undo runs in reverse order, so a sequence the kernel accepted forward is also accepted backward.
 */
public final class Journal {
    private final Deque<Runnable> undo = new ArrayDeque<>();
    private final boolean recording;
    private int writes;

    /** A journal that reads each file before writing it, to restore it on rollback (update). */
    public Journal() { this(true); }

    private Journal(boolean recording) { this.recording = recording; }

    /** For a cgroup this call just created: rollback removes the directory, so old values need not be read. */
    public static Journal forNewCgroup() { return new Journal(false); }

    /** Writes {@code value} unless the file already holds it; remembers the old content to restore. */
    public void write(Path file, String value) {
        if (!recording) {
            CgroupFiles.write(file, value);
            writes++;
            return;
        }
        String old = CgroupFiles.readOrNull(file);
        if (old == null) throw CgroupException.writeFailed(file, value, new java.nio.file.NoSuchFileException(file.toString()));
        if (old.equals(value)) return;
        writeRestoring(file, value, old);
    }

    /** Writes {@code value}; on rollback writes {@code restore} (null: nothing to restore). */
    public void writeRestoring(Path file, String value, String restore) {
        CgroupFiles.write(file, value);
        writes++;
        if (restore != null && recording) undo.push(() -> CgroupFiles.write(file, restore));
    }

    public void onRollback(Runnable r) { if (recording) undo.push(r); }

    /** False for a new cgroup's journal: controllers may skip reading old values. */
    public boolean recording() { return recording; }

    public int writes() { return writes; }

    /** Runs the undo steps newest first; failures are attached to {@code cause} as suppressed. */
    public void rollback(Throwable cause) {
        while (!undo.isEmpty()) {
            try {
                undo.pop().run();
            } catch (RuntimeException e) {
                if (cause != null) cause.addSuppressed(e);
            }
        }
    }
}
