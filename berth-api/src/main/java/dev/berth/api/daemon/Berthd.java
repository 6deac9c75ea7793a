package dev.berth.api.daemon;

import dev.berth.api.BuildInfo;
import dev.berth.api.http.ApiInitializer;
import dev.berth.api.http.ApiVersion;
import dev.berth.cgroups.CgroupLayout;
import dev.berth.engine.containers.ContainerEngine;
import dev.berth.engine.images.ImageService;
import io.netty.util.concurrent.DefaultEventExecutorGroup;
import io.netty.util.concurrent.EventExecutorGroup;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * berthd: the Docker Engine API on a unix socket ({@code bin/berthd}).
 *
 * <pre>
 * berthd [-H|--host unix:///run/berth/berth.sock] [--root /var/lib/berth]
 * </pre>
 *
 * The socket comes from {@code --host}, else {@code $BERTHD_HOST}, else /run/berth/berth.sock;
 * the state root from {@code --root}, else {@code $BERTH_ROOT}, else /var/lib/berth (the image
 * store bin/berth uses). Exit status: 0 after SIGTERM/SIGINT, 1 if it cannot start, 2 for a bad
 * command line.
 */
public final class Berthd {
    /** Threads that run the resource handlers (they may block on files or the engine). */
    static final int HANDLER_THREADS = 4;

    private Berthd() {}

    /** {@code <root>/berthd.lock}, held (never closed) for the daemon's life. */
    private static java.nio.channels.FileChannel rootLock;

    private static void closeQuietly(AutoCloseable c) {
        try {
            if (c != null) c.close();
        } catch (Exception ignored) {
            // exiting anyway
        }
    }

    record Options(Path socket, Path root, Path execRoot, NetFlags net, PreemptFlags preempt) {}

    /** --preempt-interval (a Go duration or milliseconds; 0 = no preemption), --preempt-mode immediate|graceful. */
    record PreemptFlags(java.time.Duration interval, dev.berth.engine.priority.Policy.Mode mode) {
        static final PreemptFlags DEFAULT = new PreemptFlags(java.time.Duration.ofMillis(100), dev.berth.engine.priority.Policy.Mode.IMMEDIATE);

        static PreemptFlags of(String interval, String mode) {
            java.time.Duration d = DEFAULT.interval();
            if (interval != null) {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("([0-9]+)(ms|s)?").matcher(interval);
                if (!m.matches()) throw new IllegalArgumentException("--preempt-interval " + interval + ": a duration such as 100ms, 1s or 0 (off)");
                long n = Long.parseLong(m.group(1));
                d = "s".equals(m.group(2)) ? java.time.Duration.ofSeconds(n) : java.time.Duration.ofMillis(n);
                if (!d.isZero() && d.toMillis() < 10) throw new IllegalArgumentException("--preempt-interval " + interval + ": at least 10ms (or 0: off)");
            }
            return new PreemptFlags(d, mode == null ? DEFAULT.mode() : dev.berth.engine.priority.Policy.Mode.parse(mode));
        }
    }

    /** dockerd's network flags: --bridge (the default bridge's Linux name), --bip, --default-address-pool, --mtu, --nft-table. */
    record NetFlags(String bridge, String bip, java.util.List<String> pools, int mtu, String nftTable) {}

    public static void main(String[] args) {
        Options o;
        try {
            o = parse(args, System.getenv("BERTHD_HOST"), System.getenv("BERTH_ROOT"));
        } catch (IllegalArgumentException e) {
            System.err.println("berthd: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        if (o == null) return; // --help, --version
        EventExecutorGroup handlers = new DefaultEventExecutorGroup(HANDLER_THREADS);
        SocketListener listener;
        SocketListener.Claim claim = null;
        try {
            // the socket and the root are claimed first: a second berthd on either stops here,
            // before it touches bridges, packet rules or containers of the first
            claim = SocketListener.claim(o.socket());
            rootLock = SocketListener.lockRoot(o.root());
            LocalSystemBackend system = new LocalSystemBackend(o.root(), new HostProbe(Path.of("/")).probe(CgroupLayout.detect()));
            dev.berth.engine.networks.NetworkService networks = BerthdNetworks.open(o);
            ContainerEngine engine = new ContainerEngine(o.root(), o.execRoot(), launcher(), networks);
            system.containers(engine::counts);
            if (!o.preempt().interval().isZero()) dev.berth.engine.priority.EngineFleet.start(engine, o.preempt().mode(), o.preempt().interval());
            ImageService images = new ImageService(o.root());
            images.usage(engine::imageUsers);
            images.events(engine.events());
            listener = claim.listen(new ApiInitializer(system, handlers, images, engine));
        } catch (SocketListener.Refused e) {
            closeQuietly(claim);
            System.err.println("berthd: " + e.getMessage());
            System.exit(1);
            return;
        } catch (Exception e) {
            closeQuietly(claim);
            System.err.println("berthd: cannot start: " + e.getMessage());
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            listener.close();
            handlers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }, "berthd-shutdown"));
        System.err.println("berthd " + BuildInfo.CURRENT.version() + ": API " + ApiVersion.CURRENT + " (down to "
                + ApiVersion.MINIMUM + ") on unix://" + listener.socket() + ", root " + o.root());
        listener.awaitClose();
    }

    static final String USAGE = "usage: berthd [-H|--host unix:///run/berth/berth.sock] [--root /var/lib/berth] [--exec-root /run/berth]"
            + " [--bridge berth0] [--bip 172.17.0.1/16] [--default-address-pool base=CIDR,size=N]... [--mtu N] [--nft-table berth]"
            + " [--preempt-interval 100ms|0] [--preempt-mode immediate|graceful]";

    /** berth-launch: -Dberth.launcher (bin/berthd sets it from the build), else beside the sources. */
    static Path launcher() {
        return Path.of(System.getProperty("berth.launcher", "berth-native/target/berth-launch")).toAbsolutePath();
    }

    /** The options, or null after printing help or the version. */
    static Options parse(String[] args, String hostEnv, String rootEnv) {
        String host = hostEnv != null && !hostEnv.isBlank() ? hostEnv : null;
        String root = rootEnv != null && !rootEnv.isBlank() ? rootEnv : null;
        String execRoot = null;
        String bridge = null, bip = null, nftTable = null, preemptInterval = null, preemptMode = null;
        int mtu = 0;
        java.util.List<String> pools = new java.util.ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String value = null;
            int eq = a.indexOf('=');
            String name = a.startsWith("--") && eq > 0 ? a.substring(0, eq) : a;
            if (a.startsWith("--") && eq > 0) value = a.substring(eq + 1);
            switch (name) {
                case "-H", "--host" -> host = value != null ? value : next(args, ++i, name);
                case "--root" -> root = value != null ? value : next(args, ++i, name);
                case "--exec-root" -> execRoot = value != null ? value : next(args, ++i, name);
                case "-b", "--bridge" -> bridge = value != null ? value : next(args, ++i, name);
                case "--bip" -> bip = value != null ? value : next(args, ++i, name);
                case "--default-address-pool" -> pools.add(value != null ? value : next(args, ++i, name));
                case "--nft-table" -> nftTable = value != null ? value : next(args, ++i, name);
                case "--preempt-interval" -> preemptInterval = value != null ? value : next(args, ++i, name);
                case "--preempt-mode" -> preemptMode = value != null ? value : next(args, ++i, name);
                case "--mtu" -> {
                    String v = value != null ? value : next(args, ++i, name);
                    try {
                        mtu = Integer.parseInt(v);
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("--mtu " + v + ": not a number");
                    }
                }
                case "-h", "--help" -> {
                    System.out.println(USAGE);
                    return null;
                }
                case "-v", "--version" -> {
                    System.out.println("berthd " + BuildInfo.CURRENT.version() + ", build " + BuildInfo.CURRENT.gitCommit()
                            + ", API " + ApiVersion.CURRENT);
                    return null;
                }
                default -> throw new IllegalArgumentException("unknown argument " + a);
            }
        }
        return new Options(socketPath(host), root == null ? Path.of("/var/lib/berth") : absolute(root, "--root"),
                execRoot == null ? Path.of("/run/berth") : absolute(execRoot, "--exec-root"),
                BerthdNetworks.flags(bridge, bip, pools, mtu, nftTable), PreemptFlags.of(preemptInterval, preemptMode));
    }

    private static String next(String[] args, int i, String flag) {
        if (i >= args.length) throw new IllegalArgumentException(flag + " needs a value");
        return args[i];
    }

    /** {@code unix:///path} or a plain absolute path; other schemes (tcp) are not served yet. */
    static Path socketPath(String host) {
        if (host == null) return SocketListener.DEFAULT_SOCKET;
        String p = host;
        if (host.startsWith("unix://")) p = host.substring("unix://".length());
        else if (host.contains("://")) {
            throw new IllegalArgumentException("--host " + host + ": only unix:// sockets are served (TCP needs mutual TLS, not done yet)");
        }
        return absolute(p, "--host");
    }

    private static Path absolute(String p, String flag) {
        if (p.isEmpty() || !p.startsWith("/")) throw new IllegalArgumentException(flag + " " + p + ": must be an absolute path");
        return Path.of(p).normalize();
    }
}
