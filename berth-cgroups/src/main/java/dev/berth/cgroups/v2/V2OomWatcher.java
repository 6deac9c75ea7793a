package dev.berth.cgroups.v2;

import dev.berth.cgroups.CgroupException;
import dev.berth.cgroups.fs.CgroupDir;
import dev.berth.cgroups.fs.CgroupFiles;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.concurrent.TimeUnit;

/**
 * v2 OOM notification: inotify (the JDK's WatchService) on the cgroup directory; each change to
 * memory.events re-reads the oom_kill counter and reports each new kill. A 1 s re-read covers
 * modify events the file system does not deliver.
 */
public final class V2OomWatcher implements AutoCloseable {
    private final WatchService ws;
    private final Thread thread;
    private volatile boolean closed;

    public V2OomWatcher(CgroupDir d, Runnable listener) {
        try {
            ws = FileSystems.getDefault().newWatchService();
            d.dir().register(ws, StandardWatchEventKinds.ENTRY_MODIFY);
        } catch (IOException e) {
            throw CgroupException.io("inotify", d.dir(), e);
        }
        long start = count(d);
        thread = Thread.ofPlatform().daemon().name("berth-oom-" + d.dir().getFileName()).start(() -> {
            long seen = start;
            try {
                while (!closed) {
                    WatchKey k = ws.poll(1, TimeUnit.SECONDS);
                    if (k != null) {
                        k.pollEvents();
                        k.reset();
                    }
                    if (!java.nio.file.Files.exists(d.dir())) break;
                    long now = count(d);
                    for (; seen < now; seen++) listener.run();
                }
            } catch (InterruptedException | ClosedWatchServiceException ignored) {
                // closed
            }
        });
    }

    private static long count(CgroupDir d) {
        return CgroupFiles.readKeyValues(d.file("memory.events")).getOrDefault("oom_kill", 0L);
    }

    @Override
    public void close() {
        closed = true;
        try {
            ws.close();
            thread.join(2000);
        } catch (IOException | InterruptedException ignored) {
            // best effort
        }
    }
}
