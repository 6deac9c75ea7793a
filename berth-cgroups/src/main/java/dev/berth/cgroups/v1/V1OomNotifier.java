package dev.berth.cgroups.v1;

import dev.berth.cgroups.CgroupException;
import dev.berth.cgroups.fs.CgroupDir;
import dev.berth.cgroups.fs.CgroupFiles;
import dev.berth.sys.Syscalls;

import java.nio.file.Files;

/**
 * v1 OOM notification: an eventfd registered on memory.oom_control through cgroup.event_control.
 * The kernel signals it on each OOM in the cgroup, and once more when the cgroup is removed.
 */
public final class V1OomNotifier implements AutoCloseable {
    private final Syscalls sys;
    private final int efd, ofd;
    private final Thread reader;
    private volatile boolean closed;
    private static final int O_RDONLY = 0, O_CLOEXEC = 02000000;

    public V1OomNotifier(CgroupDir d, Runnable listener) {
        this(Syscalls.linux(), d, listener);
    }

    /** Registers through {@code sys}; on any failure the descriptors it opened are closed again. */
    public V1OomNotifier(Syscalls sys, CgroupDir d, Runnable listener) {
        this.sys = sys;
        int e = sys.eventfd(), o;
        try {
            o = sys.open(d.file("memory.oom_control").toString(), O_RDONLY | O_CLOEXEC, 0);
        } catch (RuntimeException x) {
            sys.close(e);
            throw CgroupException.io("open", d.file("memory.oom_control"), x);
        }
        efd = e;
        ofd = o;
        try {
            CgroupFiles.write(d.file("cgroup.event_control"), efd + " " + ofd);
        } catch (RuntimeException x) {
            sys.close(efd);
            sys.close(ofd);
            throw x;
        }
        reader = Thread.ofPlatform().daemon().name("berth-oom-" + d.dir().getFileName()).start(() -> {
            try {
                while (!closed) {
                    long n = sys.eventfdRead(efd);
                    if (closed || !Files.exists(d.dir())) break; // close(), or the cgroup went away
                    for (long i = 0; i < n; i++) listener.run();
                }
            } catch (RuntimeException ignored) {
                // fd gone: stop
            } finally {
                sys.close(efd);
                sys.close(ofd);
            }
        });
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        sys.eventfdWrite(efd, 1); // wake the reader; it closes the fds
        try {
            reader.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
