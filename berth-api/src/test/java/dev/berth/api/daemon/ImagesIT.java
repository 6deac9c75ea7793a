package dev.berth.api.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The images group of berthd as users meet it: bin/berthd on a temp socket with a temp --root,
 * driven by the real docker CLI (load, images and its filters, inspect, history, tag, rmi, save,
 * prune, import, push and pull against Debian's docker-registry on 127.0.0.1), docker-py, and raw
 * requests for the bad cases (a corrupt archive, a client that hangs up mid-load). The image is a
 * one-layer docker-save archive of Debian's busybox-static, built by scripts/mk-oci-image.sh.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ImagesIT {
    static final Path REPO = BerthdIT.REPO;
    static final Path DOCKER = BerthdIT.DOCKER;
    static final Path REGISTRY = Path.of("/usr/bin/docker-registry");

    @TempDir static Path tmp;
    static BerthdIT.Daemon daemon;
    static Path busyboxTar;

    @BeforeAll
    static void start() throws Exception {
        BerthdIT.tmp = tmp; // BerthdIT's helpers write their temp files there
        BerthdIT.requireTool(DOCKER, "the docker CLI (28.x) is missing at " + DOCKER);
        BerthdIT.requireTool(BerthdIT.BERTHD, "bin/berthd is missing at " + BerthdIT.BERTHD);
        BerthdIT.requireTool(REGISTRY, "docker-registry is missing at " + REGISTRY + ": apt-get install docker-registry");
        BerthdIT.requireTool(BerthdIT.PYTHON, "python3 is missing at " + BerthdIT.PYTHON);
        if (!Files.isReadable(REPO.resolve("berth-api/target/berthd.conf")))
            fail("berth-api/target/berthd.conf is missing: the package phase must run before this test");
        Files.createDirectories(tmp.resolve("docker-config"));
        BerthdIT.Result mk = BerthdIT.run(List.of(REPO.resolve("scripts/mk-oci-image.sh").toString(), tmp.resolve("img").toString(),
                "busybox:latest"), 120);
        if (mk.exit() != 0) fail("scripts/mk-oci-image.sh (needs busybox-static) failed:\n" + mk.out() + mk.err());
        busyboxTar = tmp.resolve("img/image.tar");
        daemon = BerthdIT.start(tmp.resolve("run/berth.sock"), tmp.resolve("root"));
        BerthdIT.daemon = daemon;
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) daemon.stop();
        BerthdIT.daemon = null;
    }

    static BerthdIT.Result docker(String... args) throws Exception { return dockerOn(daemon, args); }

    static BerthdIT.Result dockerOn(BerthdIT.Daemon d, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(DOCKER.toString(), "-H", "unix://" + d.socket()));
        cmd.addAll(List.of(args));
        return BerthdIT.run(cmd, 120);
    }

    static long blobs(Path root) throws IOException {
        try (Stream<Path> s = Files.list(root.resolve("blobs/sha256"))) { return s.count(); }
    }

    @Test
    @Order(1)
    void loadListInspectHistoryTagAndRmi() throws Exception {
        assertThat(docker("load", "-i", busyboxTar.toString()).ok("docker load").out()).isEqualTo("Loaded image: busybox:latest\n");
        String images = docker("images").ok("docker images").out();
        assertThat(images).startsWith("REPOSITORY").contains("busybox").contains("latest");
        String id = docker("image", "inspect", "--format", "{{.Id}}", "busybox").ok("inspect").out().trim();
        assertThat(id).matches("sha256:[0-9a-f]{64}");
        assertThat(docker("images", "-q").ok("images -q").out().trim()).isEqualTo(id.substring(7, 19));
        assertThat(docker("image", "inspect", "--format", "{{.Os}} {{json .RootFS}} {{json .Config.Cmd}}", "busybox").ok("inspect").out().trim())
                .matches("linux \\{\"Type\":\"layers\",\"Layers\":\\[\"sha256:[0-9a-f]{64}\"]} \\[\"sh\"]");
        assertThat(docker("history", "busybox").ok("history").out()).contains(id.substring(7, 19)).contains("mk-oci-image.sh");

        docker("tag", "busybox", "127.0.0.1:5000/a/b:t1").ok("docker tag");
        docker("tag", "busybox", "mybox").ok("docker tag");
        assertThat(docker("images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", "reference=*box").ok("filter").out().lines().sorted().toList())
                .containsExactly("busybox:latest", "mybox:latest");
        assertThat(docker("images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", "reference=127.0.0.1:5000/a/b:*").ok("filter").out().trim())
                .isEqualTo("127.0.0.1:5000/a/b:t1");
        assertThat(docker("images", "-q", "--filter", "dangling=true").ok("dangling").out()).isEmpty();
        assertThat(docker("images", "--digests").ok("digests").out()).contains("DIGEST");
        assertThat(docker("image", "inspect", "--format", "{{.Id}}", "127.0.0.1:5000/a/b:t1").ok("inspect slashes").out().trim()).isEqualTo(id);

        assertThat(docker("rmi", "mybox").ok("rmi").out()).isEqualTo("Untagged: mybox:latest\n");
        BerthdIT.Result multi = docker("rmi", id.substring(7, 19));
        assertThat(multi.exit()).isEqualTo(1);
        assertThat(multi.err()).contains("conflict: unable to delete " + id.substring(7, 19) + " (must be forced) - image is referenced in multiple repositories");
        assertThat(docker("rmi", "127.0.0.1:5000/a/b:t1").ok("rmi").out()).isEqualTo("Untagged: 127.0.0.1:5000/a/b:t1\n");
        BerthdIT.Result none = docker("rmi", "nosuch");
        assertThat(none.exit()).isEqualTo(1);
        assertThat(none.err()).contains("Error response from daemon: No such image: nosuch:latest");
        BerthdIT.Result noInspect = docker("image", "inspect", "nosuch");
        assertThat(noInspect.exit()).isEqualTo(1);
        assertThat(noInspect.err()).contains("No such image: nosuch");
    }

    @Test
    @Order(2)
    void saveThenLoadIntoAFreshRootGivesTheSameImage() throws Exception {
        Path saved = tmp.resolve("saved.tar");
        docker("save", "-o", saved.toString(), "busybox").ok("docker save");
        assertThat(Files.size(saved)).isGreaterThan(1_000_000);
        BerthdIT.Daemon fresh = BerthdIT.start(tmp.resolve("run2/berth.sock"), tmp.resolve("root2"));
        try {
            assertThat(dockerOn(fresh, "load", "-i", saved.toString()).ok("load").out()).isEqualTo("Loaded image: busybox:latest\n");
            String a = docker("image", "inspect", "--format", "{{.Id}} {{json .RootFS}} {{json .Config}}", "busybox").ok("inspect").out();
            String b = dockerOn(fresh, "image", "inspect", "--format", "{{.Id}} {{json .RootFS}} {{json .Config}}", "busybox").ok("inspect").out();
            assertThat(b).isEqualTo(a);
        } finally {
            fresh.stop();
        }
    }

    @Test
    @Order(3)
    void importPruneAndPruneAll() throws Exception {
        Path rootfs = tmp.resolve("rootfs");
        Files.createDirectories(rootfs.resolve("bin"));
        Files.copy(Files.exists(Path.of("/bin/busybox")) ? Path.of("/bin/busybox") : Path.of("/usr/bin/busybox"), rootfs.resolve("bin/busybox"));
        Path tar = tmp.resolve("rootfs.tar");
        BerthdIT.run(List.of("tar", "-C", rootfs.toString(), "-cf", tar.toString(), "."), 60).ok("tar");
        String id = docker("import", "-c", "CMD [\"/bin/busybox\",\"sh\"]", "-c", "ENV A=b", tar.toString(), "imported:v1").ok("import").out().trim();
        assertThat(id).matches("sha256:[0-9a-f]{64}");
        assertThat(docker("image", "inspect", "--format", "{{json .Config.Cmd}} {{json .Config.Env}}", "imported:v1").ok("inspect").out())
                .contains("[\"/bin/busybox\",\"sh\"]").contains("A=b");
        // an unnamed import is dangling: prune -f removes it (and only it)
        String dangling = docker("import", tar.toString()).ok("import").out().trim();
        assertThat(docker("images", "-q", "--no-trunc", "--filter", "dangling=true").ok("dangling").out().trim()).isEqualTo(dangling);
        String pruned = docker("image", "prune", "-f").ok("prune").out();
        assertThat(pruned).contains("deleted: " + dangling);
        assertThat(docker("images", "-q", "--no-trunc").ok("images").out()).doesNotContain(dangling).contains(id);
        docker("rmi", "imported:v1").ok("rmi imported");
    }

    @Test
    @Order(4)
    void pushToARegistryRmiAndPullBack() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) { port = s.getLocalPort(); }
        Path reg = tmp.resolve("registry");
        Files.createDirectories(reg.resolve("storage"));
        Files.writeString(reg.resolve("config.yml"), "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
                + "storage:\n  filesystem:\n    rootdirectory: " + reg.resolve("storage") + "\n"
                + "http:\n  addr: 127.0.0.1:" + port + "\n  secret: berth-test\n");
        Process registry = new ProcessBuilder(REGISTRY.toString(), "serve", reg.resolve("config.yml").toString())
                .redirectErrorStream(true).redirectOutput(reg.resolve("log").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (true) {
                try (Socket s = new Socket("127.0.0.1", port)) { break; } catch (IOException e) {
                    if (!registry.isAlive() || System.nanoTime() > deadline) fail("docker-registry did not start: " + Files.readString(reg.resolve("log")));
                    Thread.sleep(100);
                }
            }
            String name = "127.0.0.1:" + port + "/busybox:t";
            docker("tag", "busybox", name).ok("tag");
            String push = docker("push", name).ok("docker push").out();
            assertThat(push).contains("The push refers to repository [127.0.0.1:" + port + "/busybox]").contains("Pushed")
                    .containsPattern("t: digest: sha256:[0-9a-f]{64} size: \\d+");
            docker("rmi", name).ok("rmi");
            docker("rmi", "busybox").ok("rmi");
            assertThat(docker("images", "-q").ok("images").out()).isEmpty();
            String pull = docker("pull", name).ok("docker pull").out();
            assertThat(pull).contains("Pulling from busybox").contains("Pull complete").contains("Status: Downloaded newer image for " + name);
            assertThat(docker("images", "--digests", "--format", "{{.Repository}}:{{.Tag}} {{.Digest}}").ok("images").out().trim())
                    .matches("127.0.0.1:" + port + "/busybox:t sha256:[0-9a-f]{64}");
            BerthdIT.Result missing = docker("pull", "127.0.0.1:" + port + "/nosuch:t");
            assertThat(missing.exit()).isEqualTo(1);
            assertThat(missing.out() + missing.err()).contains("404").contains("manifest unknown");
            BerthdIT.Result noLocal = docker("push", "127.0.0.1:" + port + "/nosuch:t");
            assertThat(noLocal.exit()).isEqualTo(1);
            assertThat(noLocal.err()).contains("An image does not exist locally with the tag: 127.0.0.1:" + port + "/nosuch:t");
            docker("tag", name, "busybox").ok("tag back");
        } finally {
            registry.destroy();
            registry.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    @Order(5)
    void dockerPyListsLoadsAndGets() throws Exception {
        Path script = tmp.resolve("py.py");
        Files.writeString(script, """
                import docker, sys
                c = docker.DockerClient(base_url='unix://' + sys.argv[1])
                print('list', sorted(t for i in c.images.list() for t in i.tags))
                imgs = c.images.load(open(sys.argv[2], 'rb').read())
                print('load', sorted(t for i in imgs for t in i.tags))
                data = b''.join(c.images.get('busybox:latest').save())
                print('get', len(data) > 1000000)
                """);
        BerthdIT.Result r = BerthdIT.run(List.of(BerthdIT.PYTHON.toString(), script.toString(), daemon.socket().toString(), busyboxTar.toString()), 120)
                .ok("docker-py");
        assertThat(r.out()).contains("list [").containsPattern("load \\[.*'busybox:latest'.*]").contains("get True");
    }

    @Test
    @Order(6)
    void aCorruptArchiveIsRefusedAndLeavesNothing() throws Exception {
        docker("rmi", "-f", "busybox").ok("rmi");
        docker("image", "prune", "-af").ok("prune");
        assertThat(blobs(daemon.root())).isZero();
        byte[] whole = Files.readAllBytes(busyboxTar);
        Path cut = tmp.resolve("cut.tar");
        Files.write(cut, java.util.Arrays.copyOf(whole, whole.length / 2));
        BerthdIT.Result r = docker("load", "-i", cut.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("Error response from daemon:").containsIgnoringCase("truncated tar archive");
        Path junk = tmp.resolve("junk.tar");
        Files.write(junk, "this is not a tar archive at all, just some words".repeat(200).getBytes(StandardCharsets.UTF_8));
        assertThat(docker("load", "-i", junk.toString()).exit()).isEqualTo(1);
        assertThat(docker("images", "-q").ok("images").out()).isEmpty();
        assertThat(blobs(daemon.root())).isZero();
        assertThat(daemon.root().resolve("ingest").toFile().list()).isEmpty();
    }

    @Test
    @Order(7)
    void aClientThatHangsUpMidLoadLeavesNothingAndTheDaemonGoesOn() throws Exception {
        byte[] whole = Files.readAllBytes(busyboxTar);
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(daemon.socket()));
            String head = "POST /v1.50/images/load HTTP/1.1\r\nHost: d\r\nContent-Type: application/x-tar\r\nContent-Length: " + whole.length + "\r\n\r\n";
            ch.write(ByteBuffer.wrap(head.getBytes(StandardCharsets.US_ASCII)));
            ch.write(ByteBuffer.wrap(whole, 0, whole.length / 2));
            Thread.sleep(500);
        } // hung up with half the body sent
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (blobs(daemon.root()) > 0 || daemon.root().resolve("ingest").toFile().list().length > 0) {
            if (System.nanoTime() > deadline) fail("a load the client abandoned left blobs or ingest files behind");
            Thread.sleep(100);
        }
        assertThat(docker("images", "-q").ok("images").out()).isEmpty();
        assertThat(docker("load", "-i", busyboxTar.toString()).ok("load after").out()).isEqualTo("Loaded image: busybox:latest\n");
        assertThat(daemon.process().isAlive()).isTrue();
    }

    @Test
    @Order(8)
    void aLoadLargerThanTheHeapStreams() throws Exception {
        // a 400 MiB layer through a berthd with -Xmx256m: only a streamed body gets through
        Path big = tmp.resolve("big");
        Files.createDirectories(big.resolve("layer"));
        try (OutputStream o = Files.newOutputStream(big.resolve("layer/blob"))) {
            byte[] mib = new byte[1 << 20];
            new java.util.Random(1).nextBytes(mib);
            for (int i = 0; i < 400; i++) { mib[0] = (byte) i; o.write(mib); }
        }
        BerthdIT.run(List.of("tar", "-C", big.resolve("layer").toString(), "-cf", big.resolve("layer.tar").toString(), "blob"), 120).ok("tar");
        String hex = BerthdIT.run(List.of("sha256sum", big.resolve("layer.tar").toString()), 120).ok("sha256sum").out().substring(0, 64);
        String config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:" + hex + "\"]}}";
        Path arch = big.resolve("archive");
        Files.createDirectories(arch);
        Files.writeString(arch.resolve("config.json"), config);
        Files.move(big.resolve("layer.tar"), arch.resolve("layer.tar"));
        Files.writeString(arch.resolve("manifest.json"), "[{\"Config\":\"config.json\",\"RepoTags\":[\"big:1\"],\"Layers\":[\"layer.tar\"]}]");
        Files.delete(big.resolve("layer/blob"));
        Path tar = big.resolve("big.tar");
        BerthdIT.run(List.of("tar", "-C", arch.toString(), "-cf", tar.toString(), "."), 120).ok("tar");
        Files.delete(arch.resolve("layer.tar"));
        assertThat(docker("load", "-i", tar.toString()).ok("load 400 MiB").out()).isEqualTo("Loaded image: big:1\n");
        assertThat(daemon.rssKib()).isLessThan(BerthdIT.RSS_LIMIT_KIB * 3);
        docker("rmi", "big:1").ok("rmi big");
        Files.delete(tar);
    }
}
