package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A private containerd (own root, state, socket and config in a temp dir; CRI disabled) driven
 * by ctr, with the runtime under test given to the runc v2 shim through
 * {@code ctr run --runc-binary <runtime> --runc-root <dir>}. The image is imported from
 * scripts/mk-oci-image.sh. containerd and any shim it left are stopped in {@link #tearDown()}.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ContainerdIT {
    static final String IMAGE = "localhost/berth/busybox:latest";
    static final String NAMESPACE = "berth-it-" + ProcessHandle.current().pid();

    private static Scratch scratch;
    private static Process containerd;
    private static Path runtime;
    private static List<Object> ctr;

    @BeforeAll
    static void setUp() throws Exception {
        Tools.requireRoot();
        Path daemon = Tools.require("containerd");
        Path ctrExe = Tools.require("ctr");
        Tools.require("containerd-shim-runc-v2");
        runtime = Tools.runtime();
        scratch = Scratch.create("ctrd");
        Path sock = scratch.path("containerd.sock");
        Path config = scratch.path("config.toml");
        Files.writeString(config, """
                version = 2
                root = "%s"
                state = "%s"
                disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
                  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.aufs",
                  "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp",
                  "io.containerd.internal.v1.tracing"]
                [grpc]
                  address = "%s"
                [ttrpc]
                  address = "%s.ttrpc"
                [debug]
                  address = ""
                [metrics]
                  address = ""
                """.formatted(scratch.mkdirs("root"), scratch.mkdirs("state"), sock, sock));
        containerd = Cmd.start(scratch.path("containerd.log"), daemon, "--config", config);
        ctr = List.of(ctrExe, "--address", sock, "--namespace", NAMESPACE);

        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        Cmd.Result version;
        do {
            if (!containerd.isAlive()) {
                throw new AssertionError("containerd exited " + containerd.exitValue() + ":\n" + log());
            }
            Thread.sleep(100);
            version = ctr("version");
        } while (version.exit() != 0 && System.nanoTime() < deadline);
        assertThat(version.exit()).as("containerd did not answer on %s\n%s\n%s", sock, version.describe(), log()).isZero();

        ctr("images", "import", image()).ok();
        assertThat(ctr("images", "ls", "-q").ok().out()).contains(IMAGE);
    }

    private static Path image() {
        Cmd.run(Tools.script("mk-oci-image.sh"), scratch.path("image"), IMAGE).ok();
        return scratch.path("image", "image.tar");
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (scratch == null) return;
        try {
            if (containerd != null && containerd.isAlive()) {
                for (String task : ctr("tasks", "ls", "-q").out().lines().filter(l -> !l.isBlank()).toList()) {
                    ctr("tasks", "kill", "--signal", "SIGKILL", task);
                    ctr("tasks", "delete", "--force", task);
                }
                for (String c : ctr("containers", "ls", "-q").out().lines().filter(l -> !l.isBlank()).toList()) {
                    ctr("containers", "delete", c);
                }
                containerd.destroy();
                if (!containerd.waitFor(10, TimeUnit.SECONDS)) containerd.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } finally {
            try {
                scratch.close(); // also kills shims: their command line names our socket
            } finally {
                Cgroups.removeTree(NAMESPACE); // ctr's default cgroupsPath is /<namespace>/<id>
            }
        }
    }

    @Test
    void runRmEchoesHi() {
        Cmd.Result r = ctrRun("t-echo", "echo", "hi");
        assertThat(r.exit()).as(r.describe()).isZero();
        assertThat(r.out().strip()).as(r.describe()).isEqualTo("hi");
        assertThat(ctr("containers", "ls", "-q").ok().out()).doesNotContain("t-echo");
    }

    @Test
    void exitCodePropagates() {
        Cmd.Result r = ctrRun("t-exit", "sh", "-c", "echo out; exit 7");
        assertThat(r.exit()).as(r.describe()).isEqualTo(7);
        assertThat(r.out()).as(r.describe()).contains("out");
    }

    @Test
    void detachedTaskExecAndKill() throws Exception {
        String id = "t-detached";
        try {
            ctr("run", "-d", "--null-io", "--runc-binary", runtime, "--runc-root", scratch.mkdirs("runc"),
                    IMAGE, id, "sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait").ok();
            assertThat(ctr("tasks", "ls").ok().out()).containsPattern(id + "\\s+\\d+\\s+RUNNING");

            Cmd.Result exec = ctr("tasks", "exec", "--exec-id", "e1", id, "sh", "-c", "echo from-exec; exit 5");
            assertThat(exec.exit()).as(exec.describe()).isEqualTo(5);
            assertThat(exec.out()).as(exec.describe()).contains("from-exec");

            ctr("tasks", "kill", "--signal", "SIGTERM", id).ok();
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            String ls;
            do {
                Thread.sleep(100);
                ls = ctr("tasks", "ls").ok().out();
            } while (!ls.matches("(?s).*" + id + "\\s+\\d+\\s+STOPPED.*") && System.nanoTime() < deadline);
            assertThat(ls).containsPattern(id + "\\s+\\d+\\s+STOPPED");
            ctr("tasks", "delete", id).ok();
            ctr("containers", "delete", id).ok();
            assertThat(ctr("containers", "ls", "-q").ok().out()).doesNotContain(id);
        } finally {
            ctr("tasks", "delete", "--force", id);
            ctr("containers", "delete", id);
        }
    }

    private static Cmd.Result ctrRun(String id, String... cmd) {
        return ctr("run", "--rm", "--runc-binary", runtime, "--runc-root", scratch.mkdirs("runc"), IMAGE, id, cmd);
    }

    private static Cmd.Result ctr(Object... args) {
        return Cmd.run(Duration.ofSeconds(90), ctr, args);
    }

    private static String log() {
        try {
            return Files.readString(scratch.path("containerd.log"));
        } catch (Exception e) {
            return "(no containerd log: " + e + ")";
        }
    }
}
