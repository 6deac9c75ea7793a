package dev.berth.sys;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Running a piece of code inside another network namespace. A socket belongs to the network
 * namespace its creating thread was in when it was created, and stays there: so a listener can be
 * opened inside a container's namespace and then served from any thread of the host.
 */
public final class Namespaces {
    private Namespaces() {
    }

    /**
     * Runs {@code action} on a new platform thread that has joined the network namespace at
     * {@code netns} (a pinned {@code /run/netns/NAME}, or {@code /proc/PID/ns/net}) and returns its
     * result. The thread ends when the action returns (it also switches back to the host namespace
     * first), so no thread of the JVM is ever left in the other namespace. The action's exception,
     * or the {@link SyscallException} of a namespace that cannot be joined (naming the path), is
     * rethrown here.
     */
    public static <T> T inNetns(Path netns, Callable<T> action) throws Exception {
        int target = Linux.open(netns.toString(), Linux.O_RDONLY | Linux.O_CLOEXEC, 0);
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        try {
            Thread t = Thread.ofPlatform().name("berth-netns-" + netns.getFileName()).unstarted(() -> {
                int home;
                try {
                    home = Linux.open("/proc/thread-self/ns/net", Linux.O_RDONLY | Linux.O_CLOEXEC, 0);
                } catch (Throwable e) {
                    failure.set(e);
                    return;
                }
                try {
                    try {
                        Linux.setns(target, Linux.CLONE_NEWNET);
                    } catch (SyscallException e) {
                        throw new SyscallException("setns", e.errno(), netns.toString());
                    }
                    try {
                        result.set(action.call());
                    } finally {
                        Linux.setns(home, Linux.CLONE_NEWNET); // the thread ends anyway
                    }
                } catch (Throwable e) {
                    failure.set(e);
                } finally {
                    Linux.close(home);
                }
            });
            t.start();
            t.join();
        } finally {
            Linux.close(target);
        }
        Throwable f = failure.get();
        if (f instanceof Exception e) {
            throw e;
        }
        if (f instanceof Error e) {
            throw e;
        }
        return result.get();
    }
}
