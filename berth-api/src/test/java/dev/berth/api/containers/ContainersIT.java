package dev.berth.api.containers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import dev.berth.api.TestBerthd;

/**
 * Containers through the real docker CLI against bin/berthd (root, real kernel), a berthd of the
 * test's own ({@link TestBerthd}: socket, --root, --exec-root, cgroup parent, bridge, --bip, pool
 * and nftables table, all checked by {@link dev.berth.api.OwnLeftovers} at the end), with a busybox
 * image built from Debian's busybox-static (scripts/mk-oci-image.sh), tagged busybox:latest. A
 * missing tool fails the test, naming it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ContainersIT {
    static final Path DOCKER = TestBerthd.DOCKER;

    static TestBerthd d;
    static Path tmp, socket, root, execRoot;
    static String parent;

    record Result(int exit, String out, String err) {
        Result ok(String what) {
            if (exit != 0) fail(what + " exited " + exit + ":\n" + out + err);
            return this;
        }
    }

    @BeforeAll
    static void start() throws Exception {
        d = TestBerthd.start("cit");
        tmp = d.tmp();
        socket = d.socket();
        root = tmp.resolve("lib");
        execRoot = tmp.resolve("run");
        parent = d.cgroupParent();
        docker("tag", TestBerthd.IMAGE, "busybox:latest").ok("docker tag");
        awaitAnswer();
    }

    /** berthd answers the docker CLI (within 60 s). */
    static void awaitAnswer() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (docker("version", "--format", "{{.Server.Version}}").exit() == 0) return;
            Thread.sleep(200);
        }
        fail("berthd did not answer within 60 s:\n" + d.log());
    }

    @AfterAll
    static void stop() throws Exception {
        if (d != null) d.close(); // removes what is left, fails on anything it made left behind
    }

    static Result run(List<String> cmd, int timeoutSeconds) throws Exception {
        return run(cmd, timeoutSeconds, null);
    }

    static Result run(List<String> cmd, int timeoutSeconds, String stdin) throws Exception {
        Path out = Files.createTempFile(tmp, "out", ".txt"), err = Files.createTempFile(tmp, "err", ".txt");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
        if (stdin == null) pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().put("DOCKER_CONFIG", tmp.resolve("docker-config").toString());
        pb.environment().put("DOCKER_HOST", "unix://" + socket);
        pb.environment().remove("DOCKER_CONTEXT");
        Process p = pb.start();
        if (stdin != null) {
            try (var in = p.getOutputStream()) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            fail(String.join(" ", cmd) + " hung for " + timeoutSeconds + " s; berthd log:\n" + d.log());
        }
        Result r = new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
        d.leftovers().sample(); // learn the veths of what runs now
        return r;
    }

    static Result docker(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(DOCKER.toString()));
        cmd.addAll(List.of(args));
        return run(cmd, 90);
    }

    static Result dockerIn(String stdin, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(DOCKER.toString()));
        cmd.addAll(List.of(args));
        return run(cmd, 90, stdin);
    }

    static Result curl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "--max-time", "20", "--unix-socket", socket.toString(), "-w", "\n%{http_code}"));
        cmd.addAll(List.of(args));
        return run(cmd, 30);
    }

    /** No cgroup, mount or process of the container is left. */
    static void assertGone(String id) throws Exception {
        for (String mi : Files.readAllLines(Path.of("/proc/self/mountinfo"))) assertThat(mi).doesNotContain(id);
        try (var hier = Files.list(Path.of("/sys/fs/cgroup"))) {
            for (Path h : hier.toList()) assertThat(h.resolve(parent).resolve(id)).doesNotExist();
        }
        assertThat(execRoot.resolve("runtime").resolve(id)).doesNotExist();
        assertThat(root.resolve("engine/containers").resolve(id)).doesNotExist();
        assertThat(root.resolve("containers").resolve(id)).doesNotExist();
    }

    @Test @Order(1)
    void runRmEchoHi() throws Exception {
        Result r = docker("run", "--rm", "busybox", "echo", "hi").ok("docker run --rm busybox echo hi");
        assertThat(r.out()).isEqualTo("hi\n");
        assertThat(docker("ps", "-aq").ok("ps").out()).isBlank();
    }

    @Test @Order(2)
    void exitCodesPropagate() throws Exception {
        assertThat(docker("run", "--rm", "busybox", "sh", "-c", "exit 3").exit()).isEqualTo(3);
        Result r = docker("run", "--name", "cit-out", "busybox", "sh", "-c", "echo out; echo err >&2; exit 5");
        assertThat(r.exit()).isEqualTo(5);
        assertThat(r.out()).isEqualTo("out\n");
        assertThat(r.err()).isEqualTo("err\n");
        assertThat(docker("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "cit-out").ok("inspect").out().trim()).isEqualTo("exited 5");
        Result logs = docker("logs", "cit-out").ok("logs");
        assertThat(logs.out()).isEqualTo("out\n");
        assertThat(logs.err()).isEqualTo("err\n");
        assertThat(docker("logs", "--timestamps", "cit-out").ok("logs -t").out()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z out\n");
        assertThat(docker("ps", "-a", "--filter", "status=exited", "--filter", "name=cit-out", "--format", "{{.Names}} {{.Status}}").ok("ps")
                .out()).startsWith("cit-out Exited (5)");
        assertThat(docker("wait", "cit-out").ok("wait").out().trim()).isEqualTo("5");
        String id = docker("inspect", "-f", "{{.Id}}", "cit-out").ok("inspect").out().trim();
        docker("rm", "cit-out").ok("rm");
        assertGone(id);
        // create, then start -a
        String cid = docker("create", "--name", "cit-created", "busybox", "echo", "created").ok("create").out().trim();
        assertThat(cid).matches("[0-9a-f]{64}");
        assertThat(docker("ps", "-a", "--filter", "id=" + cid.substring(0, 12), "--format", "{{.Status}}").ok("ps").out().trim()).isEqualTo("Created");
        assertThat(docker("start", "-a", "cit-created").ok("start -a").out()).isEqualTo("created\n");
        docker("rm", cid).ok("rm");
    }

    @Test @Order(3)
    void detachedLifecycle() throws Exception {
        String id = docker("run", "-d", "--name", "cit-web", "--label", "tier=front", "busybox", "sh", "-c",
                "trap 'exit 0' TERM; i=0; while true; do echo line$i; i=$((i+1)); sleep 0.2; done").ok("run -d").out().trim();
        assertThat(id).matches("[0-9a-f]{64}");
        assertThat(docker("ps", "-q", "--filter", "name=cit-web").ok("ps").out().trim()).isEqualTo(id.substring(0, 12));
        assertThat(docker("ps", "-q", "--filter", "label=tier=front", "--filter", "status=running").ok("ps").out().trim()).isEqualTo(id.substring(0, 12));
        assertThat(docker("ps", "-q", "--filter", "ancestor=busybox").ok("ps").out()).contains(id.substring(0, 12));
        assertThat(docker("ps", "-q", "--filter", "id=" + id.substring(0, 8)).ok("ps").out().trim()).isEqualTo(id.substring(0, 12));
        assertThat(docker("inspect", "-f", "{{.State.Running}} {{.Name}} {{.Config.Labels.tier}} {{.HostConfig.NetworkMode}}", "cit-web")
                .ok("inspect").out().trim()).isEqualTo("true /cit-web front bridge");
        // logs -f follows until the client stops; --tail
        Thread.sleep(1000);
        Result follow = run(List.of("timeout", "3", DOCKER.toString(), "logs", "-f", "--tail", "1", "cit-web"), 30);
        assertThat(follow.exit()).isEqualTo(124);
        assertThat(follow.out().lines().count()).isGreaterThan(3);
        assertThat(docker("logs", "--tail", "2", "cit-web").ok("logs --tail").out().lines().count()).isEqualTo(2);
        assertThat(docker("top", "cit-web").ok("top").out()).contains("sleep 0.2").doesNotContain("berth-launch");
        docker("pause", "cit-web").ok("pause");
        assertThat(docker("inspect", "-f", "{{.State.Status}}", "cit-web").ok("inspect").out().trim()).isEqualTo("paused");
        docker("unpause", "cit-web").ok("unpause");
        // stop: the trap exits 0 on SIGTERM
        docker("stop", "cit-web").ok("stop");
        assertThat(docker("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "cit-web").ok("inspect").out().trim()).isEqualTo("exited 0");
        docker("start", "cit-web").ok("start");
        docker("restart", "-t", "1", "cit-web").ok("restart");
        assertThat(docker("inspect", "-f", "{{.State.Running}}", "cit-web").ok("inspect").out().trim()).isEqualTo("true");
        docker("rename", "cit-web", "cit-web2").ok("rename");
        assertThat(docker("ps", "--format", "{{.Names}}", "--filter", "id=" + id).ok("ps").out().trim()).isEqualTo("cit-web2");
        Result rm = docker("rm", "cit-web2");
        assertThat(rm.exit()).isNotZero();
        assertThat(rm.err()).contains("container is running: stop the container before removing or force remove");
        docker("kill", "cit-web2").ok("kill");
        assertThat(docker("wait", "cit-web2").ok("wait").out().trim()).isEqualTo("137");
        docker("start", "cit-web2").ok("start");
        docker("rm", "-f", "cit-web2").ok("rm -f");
        assertGone(id);
        assertThat(docker("ps", "-aq").ok("ps").out()).doesNotContain(id.substring(0, 12));
        Thread.sleep(500);
        assertThat(run(List.of("pgrep", "-f", "line\\$i"), 10).out()).isBlank();
    }

    @Test @Order(4)
    void processOptions() throws Exception {
        assertThat(docker("run", "--rm", "-e", "FOO=bar", "-w", "/work", "-u", "1000:1000", "--entrypoint", "sh", "busybox", "-c",
                "echo $FOO $(pwd) $(id -u):$(id -g)").ok("run -e -w -u --entrypoint").out()).isEqualTo("bar /work 1000:1000\n");
        assertThat(dockerIn("piped\n", "run", "--rm", "-i", "busybox", "cat").ok("run -i").out()).isEqualTo("piped\n");
        Path host = tmp.resolve("hostdir");
        Files.createDirectories(host);
        Files.writeString(host.resolve("f"), "fromhost\n");
        assertThat(docker("run", "--rm", "-v", host + ":/x:ro", "--tmpfs", "/scratch", "--read-only", "busybox", "sh", "-c",
                "cat /x/f; touch /scratch/ok && echo tmpfs-ok; touch /nope 2>/dev/null || echo ro-ok; touch /x/g 2>/dev/null || echo bind-ro-ok")
                .ok("run -v --tmpfs --read-only").out()).isEqualTo("fromhost\ntmpfs-ok\nro-ok\nbind-ro-ok\n");
        assertThat(docker("run", "--rm", "-v", host + ":/x", "busybox", "sh", "-c", "echo written > /x/g").ok("run -v rw").exit()).isZero();
        assertThat(Files.readString(host.resolve("g"))).isEqualTo("written\n");
        String limits = docker("run", "--rm", "--memory", "64m", "--cpus", "0.5", "--pids-limit", "50", "busybox", "sh", "-c",
                "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/pids/pids.max 2>/dev/null"
                        + " || cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/cpu.max /sys/fs/cgroup/pids.max").ok("run --memory --cpus --pids-limit").out();
        assertThat(limits).contains("67108864").contains("50000").contains("50");
        assertThat(docker("run", "--rm", "--network", "none", "busybox", "sh", "-c", "ls /sys/class/net").ok("--network none").out().trim())
                .isEqualTo("lo");
        assertThat(docker("run", "--rm", "--network", "host", "busybox", "hostname").ok("--network host").out().trim())
                .isEqualTo(Files.readString(Path.of("/proc/sys/kernel/hostname")).trim());
        String hn = docker("run", "--rm", "busybox", "sh", "-c", "hostname; cat /etc/hostname; grep -c localhost /etc/hosts").ok("etc files").out();
        assertThat(hn.lines().toList().get(0)).matches("[0-9a-f]{12}").isEqualTo(hn.lines().toList().get(1));
    }

    @Test @Order(5)
    void badInput() throws Exception {
        Result r = docker("run", "--rm", "--pull", "never", "nosuchimage-cit");
        assertThat(r.exit()).isEqualTo(125);
        assertThat(r.err()).contains("No such image: nosuchimage-cit:latest");
        docker("create", "--name", "cit-dup", "busybox", "true").ok("create");
        r = docker("create", "--name", "cit-dup", "busybox", "true");
        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains("Conflict. The container name \"/cit-dup\" is already in use by container");
        docker("rm", "cit-dup").ok("rm");
        r = docker("inspect", "nosuch-cit");
        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains("No such object: nosuch-cit");
        assertThat(docker("stop", "nosuch-cit").err()).contains("No such container: nosuch-cit");
        r = docker("run", "--rm", "busybox", "nosuchcommand");
        assertThat(r.exit()).isEqualTo(127);
        Result c = curl("-X", "POST", "-H", "Content-Type: application/json", "-d", "{bad", "http://d/v1.50/containers/create");
        assertThat(c.out()).endsWith("400").contains("invalid JSON");
        c = curl("-X", "POST", "-H", "Content-Type: application/json", "-d", "{\"Image\":\"busybox\",\"Cmd\":[\"true\"],\"HostConfig\":{\"Binds\":[\"relative\"]}}",
                "http://d/v1.50/containers/create");
        assertThat(c.out()).endsWith("400").contains("invalid volume specification");
        assertThat(docker("ps", "-aq").ok("ps").out()).isBlank();
        assertThat(root.resolve("containers")).isEmptyDirectory();
    }

    @Test @Order(6)
    void liveRestore() throws Exception {
        String id = docker("run", "-d", "--name", "cit-live", "busybox", "sh", "-c", "trap 'exit 7' TERM; while true; do sleep 0.2; done")
                .ok("run -d").out().trim();
        d.stop();
        d.restart();
        awaitAnswer();
        assertThat(docker("inspect", "-f", "{{.State.Status}}", "cit-live").ok("inspect after restart").out().trim()).isEqualTo("running");
        docker("stop", "cit-live").ok("stop after restart");
        assertThat(docker("inspect", "-f", "{{.State.ExitCode}}", "cit-live").ok("inspect").out().trim()).isEqualTo("7");
        docker("rm", "cit-live").ok("rm");
        assertGone(id);
    }
}
