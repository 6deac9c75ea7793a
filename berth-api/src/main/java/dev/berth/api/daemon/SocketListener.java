package dev.berth.api.daemon;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.concurrent.TimeUnit;

/**
 * The API's unix socket: root-only, mode 0660, group {@code berth} if that group exists (else
 * root), as dockerd's docker.sock. One berthd per socket: {@code <socket>.lock} is held for the
 * daemon's life, and a socket some other process still answers on is never taken over; a stale
 * one (nobody listening, e.g. after a crash) is removed.
 *
 * <p>The socket is bound under a private 0700 directory beside its final path, given its mode and
 * owner there, then renamed into place: no client can reach it before its permissions are set.
 */
public final class SocketListener implements AutoCloseable {
    public static final Path DEFAULT_SOCKET = Path.of("/run/berth/berth.sock");
    public static final String GROUP = "berth";

    private final Path socket;
    private final FileChannel lockFile;
    private final EventLoopGroup loop;
    private final Channel server;

    private SocketListener(Path socket, FileChannel lockFile, EventLoopGroup loop, Channel server) {
        this.socket = socket;
        this.lockFile = lockFile;
        this.loop = loop;
        this.server = server;
    }

    /** A start refused for a reason the operator must fix (named in the message). */
    public static final class Refused extends RuntimeException {
        Refused(String message) { super(message, null, false, false); }
    }

    public static SocketListener open(Path socket, ChannelInitializer<Channel> initializer) throws IOException {
        return claim(socket).listen(initializer);
    }

    /**
     * The socket claimed but not yet served: {@code <socket>.lock} held and a stale socket file
     * removed (a live one refused). berthd claims before it touches anything else (bridges, packet
     * rules, containers), so that a second berthd on the same socket fails without disturbing the
     * first one; {@link #listen} then binds it, {@link #close} gives it up.
     */
    public static final class Claim implements AutoCloseable {
        private final Path socket;
        private final FileChannel lock;
        private boolean handedOver;

        private Claim(Path socket, FileChannel lock) {
            this.socket = socket;
            this.lock = lock;
        }

        public Path socket() { return socket; }

        /** Binds the claimed socket; the lock goes with the listener. */
        public SocketListener listen(ChannelInitializer<Channel> initializer) throws IOException {
            EventLoopGroup loop = null;
            try {
                loop = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
                Channel server = bindPrivately(socket, initializer, loop);
                handedOver = true;
                return new SocketListener(socket, lock, loop, server);
            } catch (IOException | RuntimeException e) {
                if (loop != null) loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
                close();
                throw e;
            }
        }

        /** Releases the lock unless {@link #listen} handed it to a listener. */
        @Override
        public void close() throws IOException {
            if (!handedOver) lock.close();
        }
    }

    public static Claim claim(Path socket) throws IOException {
        socket = socket.toAbsolutePath().normalize();
        Path dir = socket.getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
        }
        FileChannel lock = FileChannel.open(dir.resolve(socket.getFileName() + ".lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        try {
            FileLock held = lock.tryLock();
            if (held == null) throw new Refused("another berthd is running on " + socket + " (it holds " + socket + ".lock)");
            removeStale(socket);
            return new Claim(socket, lock);
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /**
     * One berthd per state root: {@code <root>/berthd.lock} held for the daemon's life (released
     * by the kernel when it dies). Taken before anything under the root is read or changed.
     */
    public static FileChannel lockRoot(Path root) throws IOException {
        Files.createDirectories(root);
        Path f = root.resolve("berthd.lock");
        FileChannel lock = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            if (lock.tryLock() == null) throw new Refused("another berthd is running on root " + root + " (it holds " + f + ")");
            return lock;
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /** Removes a socket nobody listens on; refuses a live one and anything that is not a socket. */
    static void removeStale(Path socket) throws IOException {
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) return;
        if (!"socket".equals(fileType(socket))) {
            throw new Refused(socket + " exists and is not a socket: remove it or choose another path");
        }
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(socket));
            throw new Refused("another daemon answers on " + socket + ": stop it first");
        } catch (ConnectException e) {
            Files.deleteIfExists(socket); // ECONNREFUSED: nobody listens, a stale file
        }
    }

    private static String fileType(Path p) throws IOException {
        var a = Files.readAttributes(p, java.nio.file.attribute.PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (a.isSymbolicLink()) return "symlink";
        if (a.isDirectory()) return "directory";
        if (a.isRegularFile()) return "file";
        return a.isOther() && (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) >> 12 == 0xC ? "socket" : "other";
    }

    private static Channel bindPrivately(Path socket, ChannelInitializer<Channel> initializer, EventLoopGroup loop)
            throws IOException {
        Path priv = socket.resolveSibling("." + socket.getFileName() + "." + ProcessHandle.current().pid());
        deleteTree(priv);
        Files.createDirectory(priv, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path tmp = priv.resolve("s");
        try {
            Channel server = new ServerBootstrap()
                    .group(loop)
                    .channel(EpollServerDomainSocketChannel.class)
                    .childHandler(initializer)
                    .bind(new DomainSocketAddress(tmp.toString()))
                    .syncUninterruptibly()
                    .channel();
            try {
                secure(tmp);
                Files.move(tmp, socket, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException | RuntimeException e) {
                server.close().syncUninterruptibly();
                throw e;
            }
            return server;
        } finally {
            deleteTree(priv);
        }
    }

    /** Mode 0660, owner root, group berth or root (ownership only when running as root). */
    static void secure(Path p) throws IOException {
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-rw----"));
        if ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") != 0) return;
        var lookup = p.getFileSystem().getUserPrincipalLookupService();
        GroupPrincipal group;
        try {
            group = lookup.lookupPrincipalByGroupName(GROUP);
        } catch (UserPrincipalNotFoundException e) {
            group = lookup.lookupPrincipalByGroupName("root");
        }
        PosixFileAttributeView view = Files.getFileAttributeView(p, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        view.setOwner(lookup.lookupPrincipalByName("root"));
        view.setGroup(group);
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return;
        try (var w = Files.walk(p)) {
            for (Path x : w.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
        }
    }

    public Path socket() { return socket; }

    /** Blocks until the server channel closes. */
    public void awaitClose() { server.closeFuture().syncUninterruptibly(); }

    /** Stops listening and removes the socket (the lock is released last). */
    @Override
    public void close() {
        try {
            server.close().syncUninterruptibly();
            loop.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
            Files.deleteIfExists(socket);
            lockFile.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
