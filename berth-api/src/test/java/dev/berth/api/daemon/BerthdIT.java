package dev.berth.api.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import dev.berth.api.BuildInfo;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * berthd as users meet it: started by bin/berthd on a socket of its own in a temp dir, driven by
 * the real docker CLI (/usr/local/bin/docker), docker-py (Debian's python3-docker) and curl. A
 * missing tool fails the test saying which; nothing is skipped.
 */
class BerthdIT {
    static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    static final Path BERTHD = REPO.resolve("bin/berthd");
    static final Path DOCKER = Path.of("/usr/local/bin/docker");
    static final Path PYTHON = Path.of("/usr/bin/python3");
    static final long RSS_LIMIT_KIB = 120 * 1024;

    @TempDir static Path tmp;
    static Daemon daemon;
    static long rssAfterStartKib;

    record Result(int exit, String out, String err) {
        Result ok(String what) {
            if (exit != 0) fail(what + " exited " + exit + ":\n" + out + err);
            return this;
        }
    }

    /** A berthd started by bin/berthd; its log in {@code log}. */
    /** The cgroup parent of a test berthd with this Net (never berthd's default "berth", which a user's berthd uses). */
    static String cgroupParent(dev.berth.api.TestBerthd.Net net) { return "berth-test-" + net.nftTable(); }

    record Daemon(Process process, Path socket, Path root, Path log, dev.berth.api.TestBerthd.Net net) {
        void stop() throws Exception {
            if (process.isAlive()) {
                process.destroy(); // SIGTERM
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
            // its own default bridge and table only
            new ProcessBuilder("ip", "link", "del", net.bridge()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
            new ProcessBuilder("nft", "delete", "table", "inet", net.nftTable()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
            // and its own cgroup parent, if it made one (it runs no container)
            try (var hs = Files.newDirectoryStream(Path.of("/sys/fs/cgroup"))) {
                for (Path h : hs) {
                    Path own = h.getFileName().toString().equals(cgroupParent(net)) ? h : h.resolve(cgroupParent(net));
                    if (Files.isDirectory(own)) Files.deleteIfExists(own);
                }
            }
        }

        long rssKib() throws IOException {
            for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status")))
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
            throw new IllegalStateException("no VmRSS for berthd " + process.pid());
        }
    }

    @BeforeAll
    static void start() throws Exception {
        requireTool(DOCKER, "the docker CLI (28.x) is missing at " + DOCKER);
        requireTool(PYTHON, "python3 is missing at " + PYTHON + ": run scripts/install-deps.sh");
        requireTool(Path.of("/usr/bin/curl"), "curl is missing: run scripts/install-deps.sh");
        requireTool(BERTHD, "bin/berthd is missing at " + BERTHD);
        if (!Files.isReadable(REPO.resolve("berth-api/target/berthd.conf")))
            fail("berth-api/target/berthd.conf is missing: the package phase must run before this test");
        Result py = run(List.of(PYTHON.toString(), "-c", "import docker"), 30);
        if (py.exit() != 0) fail("docker-py is missing for " + PYTHON + " (Debian package python3-docker): run scripts/install-deps.sh\n" + py.err());
        Files.createDirectories(tmp.resolve("docker-config")); // the CLI reads no user's config or context
        daemon = start(tmp.resolve("run/berth.sock"), tmp.resolve("root"));
        Thread.sleep(1500); // idle: after start-up, one ping answered
        rssAfterStartKib = daemon.rssKib();
        System.out.println("berthd idle RSS after start: " + rssAfterStartKib / 1024 + " MiB");
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) daemon.stop();
    }

    static void requireTool(Path p, String message) {
        if (!Files.isExecutable(p)) fail(message);
    }

    static Daemon start(Path socket, Path root) throws Exception {
        Path log = Files.createTempFile(tmp, "berthd", ".log");
        // network names of its own (never the host's berth0 / table berth: other berthds run beside it)
        dev.berth.api.TestBerthd.Net net = dev.berth.api.TestBerthd.Net.pick();
        ProcessBuilder pb = new ProcessBuilder(BERTHD.toString(), "-H", "unix://" + socket, "--root", root.toString(),
                "--exec-root", root.resolveSibling(root.getFileName() + "-exec").toString(), "--bridge", net.bridge(), "--bip", net.bip(),
                "--default-address-pool", net.pool(), "--nft-table", net.nftTable())
                .redirectOutput(log.toFile()).redirectErrorStream(true);
        pb.environment().put("BERTH_CGROUP_PARENT", cgroupParent(net));
        Process p = pb.start();
        Daemon d = new Daemon(p, socket, root, log, net);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) fail("berthd exited " + p.exitValue() + " at start:\n" + Files.readString(log));
            if (Files.exists(socket) && curlOn(socket, "http://d/_ping").out().endsWith("200")) return d;
            Thread.sleep(100);
        }
        d.stop();
        fail("berthd did not answer on " + socket + " within 30 s:\n" + Files.readString(log));
        return null;
    }

    static Result run(List<String> cmd, int timeoutSeconds) throws Exception {
        Path out = Files.createTempFile(tmp, "out", ".txt"), err = Files.createTempFile(tmp, "err", ".txt");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("DOCKER_CONFIG", tmp.resolve("docker-config").toString());
        pb.environment().remove("DOCKER_HOST");
        pb.environment().remove("DOCKER_CONTEXT");
        Process p = pb.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            fail(String.join(" ", cmd) + " hung for " + timeoutSeconds + " s");
        }
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    static Result docker(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(DOCKER.toString(), "-H", "unix://" + daemon.socket()));
        cmd.addAll(List.of(args));
        return run(cmd, 60);
    }

    /** curl on berthd's socket; stdout ends with a newline and the status code. */
    static Result curl(String... args) throws Exception {
        return curlOn(daemon.socket(), args);
    }

    static Result curlOn(Path sock, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "--max-time", "20", "--unix-socket", sock.toString(),
                "-w", "\n%{http_code}"));
        cmd.addAll(List.of(args));
        return run(cmd, 30);
    }

    static String hostFile(String path) throws IOException { return Files.readString(Path.of(path)).trim(); }

    /** go-units BytesSize, as `docker info` prints Total Memory ("%.4g" of binary units). */
    static String bytesSize(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return new BigDecimal(v).round(new MathContext(4)).stripTrailingZeros().toPlainString() + units[u];
    }

    static long memTotal() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/meminfo")))
            if (line.startsWith("MemTotal:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        throw new IllegalStateException("no MemTotal in /proc/meminfo");
    }

    /** "2" if /sys/fs/cgroup is a cgroup2 mount (unified only), else "1" — read here, apart from berth's own code. */
    static String cgroupVersion() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            int dash = List.of(f).indexOf("-");
            if (f[4].equals("/sys/fs/cgroup")) return f[dash + 1].equals("cgroup2") ? "2" : "1";
        }
        return "1";
    }

    @Test
    void theSocketIsRootOnlyMode0660() throws Exception {
        Path s = daemon.socket();
        assertThat((Integer) Files.getAttribute(s, "unix:mode") & 0777).as("mode of " + s).isEqualTo(0660);
        assertThat((Integer) Files.getAttribute(s, "unix:uid")).as("owner").isZero();
        Result g = run(List.of("getent", "group", "berth"), 10);
        int gid = g.exit() == 0 ? Integer.parseInt(g.out().split(":")[2]) : 0;
        assertThat((Integer) Files.getAttribute(s, "unix:gid")).as("group (berth if it exists, else root)").isEqualTo(gid);
    }

    @Test
    void dockerVersionShowsBerthsServer() throws Exception {
        Result r = docker("version").ok("docker version");
        String server = r.out().substring(r.out().indexOf("Server:"));
        assertThat(server).startsWith("Server: berth");
        assertThat(server).containsPattern("\\n\\s+Version:\\s+" + BuildInfo.CURRENT.version().replace(".", "\\.") + "\\n");
        assertThat(server).containsPattern("API version:\\s+1\\.50 \\(minimum version 1\\.24\\)");
        assertThat(server).containsPattern("OS/Arch:\\s+linux/amd64");
        assertThat(docker("version", "--format", "{{.Server.APIVersion}} {{.Server.KernelVersion}}").ok("docker version --format").out().trim())
                .isEqualTo("1.50 " + hostFile("/proc/sys/kernel/osrelease"));
    }

    @Test
    void dockerInfoShowsThisHostsFigures() throws Exception {
        Result r = docker("info").ok("docker info");
        String out = r.out();
        assertThat(out).contains("Server Version: " + BuildInfo.CURRENT.version() + "\n");
        assertThat(out).contains("Kernel Version: " + hostFile("/proc/sys/kernel/osrelease") + "\n");
        assertThat(out).contains("CPUs: " + run(List.of("nproc"), 10).ok("nproc").out().trim() + "\n");
        assertThat(out).contains("Total Memory: " + bytesSize(memTotal()) + "\n");
        assertThat(out).contains("Cgroup Driver: cgroupfs\n");
        assertThat(out).contains("Cgroup Version: " + cgroupVersion() + "\n");
        assertThat(out).contains("Storage Driver: overlay2\n");
        assertThat(out).contains("Docker Root Dir: " + daemon.root() + "\n");
        assertThat(out).contains("Name: " + hostFile("/proc/sys/kernel/hostname") + "\n");
        assertThat(out).contains("Containers: 0\n", "Images: 0\n", "OSType: linux\n");
        assertThat(r.err()).doesNotContain("rror");
    }

    @Test
    void dockerPyReadsTheVersion() throws Exception {
        String script = "import docker\n"
                + "c = docker.DockerClient(base_url='unix://" + daemon.socket() + "')\n"
                + "v = c.version()\n"
                + "print(v['ApiVersion'], v['MinAPIVersion'], v['Version'], c.ping(), c.info()['NCPU'])\n";
        Result r = run(List.of(PYTHON.toString(), "-c", script), 60).ok("docker-py");
        assertThat(r.out().trim()).isEqualTo("1.50 1.24 " + BuildInfo.CURRENT.version() + " True "
                + Runtime.getRuntime().availableProcessors());
    }

    @Test
    void curlGetsDockersErrors() throws Exception {
        assertThat(curl("http://d/v1.51/info").out())
                .isEqualTo("{\"message\":\"client version 1.51 is too new. Maximum supported API version is 1.50\"}\n\n400");
        assertThat(curl("http://d/v1.23/version").out()).startsWith("{\"message\":\"client version 1.23 is too old.").endsWith("\n400");
        assertThat(curl("http://d/nope").out()).isEqualTo("{\"message\":\"page not found\"}\n\n404");
        assertThat(curl("http://d/v1.50/containers/x/frobnicate").out()).endsWith("\n404");
        assertThat(curl("-X", "POST", "--data-binary", "{not json", "http://d/v1.50/_ping").out()).endsWith("\n404");
        assertThat(curl("http://d/v1.50/info?x=%zz").out()).startsWith("{\"message\":\"invalid request URI").endsWith("\n400");
        Result head = curl("-I", "http://d/_ping");
        assertThat(head.out()).contains("Api-Version: 1.50", "OSType: linux", "Builder-Version: 1", "Docker-Experimental: false");
        assertThat(head.out()).endsWith("\n200");
    }

    @Test
    void curlKeepsTheConnectionAliveAcrossRequests() throws Exception {
        Result r = curl("-v", "http://d/_ping", "http://d/v1.50/version", "http://d/info");
        assertThat(r.exit()).isZero();
        assertThat(r.err()).contains("Re-using existing connection");
        assertThat(r.err()).contains("Transfer-Encoding: chunked"); // /info, as dockerd sends it
    }

    @Test
    void malformedHttpGets400JsonAndAClosedConnectionNotAHang() throws Exception {
        String answer = raw("GARBAGE\r\n\r\n");
        assertThat(answer).startsWith("HTTP/1.1 400 Bad Request").contains("{\"message\":\"malformed HTTP request");
        assertThat(answer).doesNotContain("at io.netty", "Exception\n");
        String badLength = raw("POST /v1.50/info HTTP/1.1\r\nHost: d\r\nContent-Length: -4\r\n\r\n");
        assertThat(badLength).startsWith("HTTP/1.1 400");
        // a client that goes away half-way through a request leaves a daemon that still answers
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            c.connect(UnixDomainSocketAddress.of(daemon.socket()));
            c.write(ByteBuffer.wrap("GET /_pi".getBytes(StandardCharsets.US_ASCII)));
        }
        assertThat(curl("http://d/_ping").out()).isEqualTo("OK\n200");
    }

    /** Sends raw bytes and reads until the daemon closes the connection (fails after 10 s: a hang). */
    static String raw(String request) throws Exception {
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            c.connect(UnixDomainSocketAddress.of(daemon.socket()));
            c.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.ISO_8859_1)));
            CompletableFuture<String> read = CompletableFuture.supplyAsync(() -> {
                StringBuilder sb = new StringBuilder();
                ByteBuffer b = ByteBuffer.allocate(4096);
                try {
                    while (c.read(b) >= 0) {
                        sb.append(new String(b.array(), 0, b.position(), StandardCharsets.UTF_8));
                        b.clear();
                    }
                } catch (IOException e) {
                    sb.append("[read error ").append(e).append(']');
                }
                return sb.toString();
            });
            try {
                return read.get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                fail("berthd kept the connection open after answering " + request.strip() + ": a hung connection");
                return null;
            }
        }
    }

    @Test
    void aSecondBerthdOnTheSameSocketIsRefused() throws Exception {
        Result r = run(List.of(BERTHD.toString(), "-H", "unix://" + daemon.socket(), "--root", tmp.resolve("root2").toString()), 60);
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("another berthd is running on " + daemon.socket());
        assertThat(curl("http://d/_ping").out()).isEqualTo("OK\n200");
    }

    @Test
    void aStaleSocketLeftByAKilledBerthdIsReplacedAndSigtermRemovesIt() throws Exception {
        Path sock = tmp.resolve("other/b.sock");
        Daemon first = start(sock, tmp.resolve("root-other"));
        first.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS); // SIGKILL: the socket file stays
        assertThat(sock).exists();
        Daemon second = start(sock, tmp.resolve("root-other"));
        try {
            assertThat(run(List.of("curl", "-s", "--unix-socket", sock.toString(), "http://d/_ping"), 20).out()).isEqualTo("OK");
            second.process().destroy();
            assertThat(second.process().waitFor(20, TimeUnit.SECONDS)).as("berthd stops on SIGTERM").isTrue();
            assertThat(sock).as("socket removed at stop").doesNotExist();
        } finally {
            second.stop();
            first.stop(); // its bridge and table (the process is gone)
        }
    }

    @Test
    void idleRssIsWithinTheTarget() throws Exception {
        for (int i = 0; i < 20; i++) curl("http://d/info").ok("curl /info");
        long afterUse = daemon.rssKib();
        System.out.println("berthd RSS after start: " + rssAfterStartKib / 1024 + " MiB; after 20 /info: " + afterUse / 1024 + " MiB");
        assertThat(rssAfterStartKib).as("idle RSS after start, KiB").isLessThanOrEqualTo(RSS_LIMIT_KIB);
        assertThat(afterUse).as("RSS after use, KiB").isLessThanOrEqualTo(RSS_LIMIT_KIB);
    }
}
