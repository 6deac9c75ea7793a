package dev.berth.sys.net;

import dev.berth.sys.Linux;
import dev.berth.sys.Namespaces;
import dev.berth.sys.SyscallException;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Pinned network namespaces, as {@code ip netns add} makes them but at any path and without a
 * process: a new namespace is made on a throwaway platform thread ({@code unshare(CLONE_NEWNET)}),
 * its {@code /proc/thread-self/ns/net} bind-mounted onto a file, and the thread switches back and
 * ends. The mount keeps the namespace alive until {@link #remove}.
 */
public final class NetNs {
    private NetNs() {
    }

    /**
     * Makes a new network namespace pinned at {@code file} (which must not exist; its directory
     * must), with its loopback up. Nothing is left if it fails.
     */
    public static void create(Path file) throws IOException {
        try {
            Files.createFile(file);
        } catch (FileAlreadyExistsException e) {
            throw new FileAlreadyExistsException(file.toString(), null, "network namespace file exists");
        }
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = Thread.ofPlatform().name("berth-netns-create").unstarted(() -> {
            int home;
            try {
                home = Linux.open("/proc/thread-self/ns/net", Linux.O_RDONLY | Linux.O_CLOEXEC, 0);
            } catch (Throwable e) {
                failure.set(e);
                return;
            }
            try {
                NetSys.unshare(Linux.CLONE_NEWNET);
                try {
                    Linux.mount("/proc/thread-self/ns/net", file.toString(), "none", Linux.MS_BIND, null);
                    try (Netlink nl = Netlink.open()) {
                        nl.setUp(nl.index("lo"), true);
                    }
                } finally {
                    Linux.setns(home, Linux.CLONE_NEWNET);
                }
            } catch (Throwable e) {
                failure.set(e);
            } finally {
                Linux.close(home);
            }
        });
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure.compareAndSet(null, e);
        }
        if (failure.get() != null) {
            remove(file);
            Throwable f = failure.get();
            if (f instanceof SyscallException se) throw new IOException("cannot create network namespace " + file + ": " + se.getMessage(), se);
            throw new IOException("cannot create network namespace " + file + ": " + f, f);
        }
    }

    /** Runs {@code action} on a short-lived thread inside the namespace pinned at {@code file}. */
    public static <T> T run(Path file, Callable<T> action) throws Exception {
        return Namespaces.inNetns(file, action);
    }

    /** Whether {@code file} is a mounted namespace pin (a bind mount of nsfs). */
    public static boolean pinned(Path file) {
        try {
            return Linux.statfsType(file.toString()) == NSFS_MAGIC;
        } catch (SyscallException e) {
            return false;
        }
    }

    static final long NSFS_MAGIC = 0x6e736673L;

    /** Unmounts and deletes the pin (the namespace ends once nothing else holds it); absent is fine. */
    public static void remove(Path file) {
        for (int i = 0; i < 4 && pinned(file); i++) {
            try {
                Linux.umount2(file.toString(), Linux.MNT_DETACH);
            } catch (SyscallException e) {
                if (e.errno() != 22 && e.errno() != 2) throw e; // EINVAL: not a mount point
            }
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new IllegalStateException("cannot delete " + file + ": " + e.getMessage(), e);
        }
    }
}
