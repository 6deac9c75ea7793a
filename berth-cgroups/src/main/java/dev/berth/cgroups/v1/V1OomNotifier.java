package dev.berth.cgroups.v1;

import dev.berth.cgroups.CgroupException;
import dev.berth.cgroups.fs.CgroupDir;
import dev.berth.cgroups.fs.CgroupFiles;
import dev.berth.cgroups.fs.Native;

import java.nio.file.Files;

/**
 * v1 OOM notification: an eventfd registered on memory.oom_control through cgroup.event_control.
 * The kernel signals it on each OOM in the cgroup, and once more when the cgroup is removed.
 */
public final class V1OomNotifier implements AutoCloseable {
    private final int efd, ofd;
    private final Thread reader;
    private volatile boolean closed;

    public V1OomNotifier(CgroupDir d, Runnable listener) {
        int e = Native.eventfd(), o;
        try {
            o = Native.open(d.file("memory.oom_control").toString(), Native.O_RDONLY | Native.O_CLOEXEC);
        } catch (RuntimeException x) {
            Native.close(e);
            throw CgroupException.io("open", d.file("memory.oom_control"), x);
        }
        efd = e;
        ofd = o;
        try {
            CgroupFiles.write(d.file("cgroup.event_control"), efd + " " + ofd);
        } catch (RuntimeException x) {
            Native.close(efd);
            Native.close(ofd);
            throw x;
        }
        reader = Thread.ofPlatform().daemon().name("berth-oom-" + d.dir().getFileName()).start(() -> {
            try {
                while (!closed) {
                    long n = Native.readCounter(efd);
                    if (closed || !Files.exists(d.dir())) break; // close(), or the cgroup went away
                    for (long i = 0; i < n; i++) listener.run();
                }
            } catch (RuntimeException ignored) {
                // fd gone: stop
            } finally {
                Native.close(efd);
                Native.close(ofd);
            }
        });
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Native.writeCounter(efd, 1); // wake the reader; it closes the fds
        try {
            reader.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
