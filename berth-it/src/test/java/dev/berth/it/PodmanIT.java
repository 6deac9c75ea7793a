package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Real podman with the runtime under test as its OCI runtime (--runtime), on isolated storage
 * (--root, --runroot, --tmpdir in a temp dir, vfs driver) and the busybox image loaded from
 * scripts/mk-oci-image.sh. Flags this host needs: cgroups v1 without systemd
 * (--cgroup-manager=cgroupfs, --events-backend=none), no network (--network=none), and no
 * CAP_SYS_RESOURCE in the sandbox, so podman's raised default nofile/nproc limits must be lowered.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PodmanIT {
    static final String IMAGE = "localhost/berth/busybox:latest";
    /** Containers and their conmon go below this cgroup, removed at the end. */
    static final String CGROUP_PARENT = "/berth-it-podman-" + ProcessHandle.current().pid();
    static final List<String> RUN_FLAGS = List.of("--network=none", "--cgroup-parent=" + CGROUP_PARENT,
            "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024");

    private static Scratch scratch;
    private static List<Object> podman;

    @BeforeAll
    static void setUp() {
        Tools.requireRoot();
        Path exe = Tools.require("podman");
        Tools.require("conmon");
        Path runtime = Tools.runtime();
        scratch = Scratch.create("podman");
        podman = List.of(exe,
                "--root", scratch.mkdirs("root"),
                "--runroot", scratch.mkdirs("runroot"),
                "--tmpdir", scratch.mkdirs("tmp"),
                "--storage-driver=vfs",
                "--cgroup-manager=cgroupfs",
                "--events-backend=none",
                "--runtime", runtime);
        Cmd.run(Tools.script("mk-oci-image.sh"), scratch.path("image"), IMAGE).ok();
        podman("load", "-i", scratch.path("image", "image.tar")).ok();
    }

    @AfterAll
    static void tearDown() {
        if (scratch == null) return;
        try {
            podman("rm", "--all", "--force", "--time", "0");
            podman("rmi", "--all", "--force");
        } finally {
            try {
                scratch.close();
            } finally {
                Cgroups.removeTree(CGROUP_PARENT);
            }
        }
    }

    @Test
    void runRmEchoesHi() {
        Cmd.Result r = podman("run", "--rm", RUN_FLAGS, IMAGE, "echo", "hi");
        assertThat(r.exit()).as(r.describe()).isZero();
        assertThat(r.out().strip()).as(r.describe()).isEqualTo("hi");
    }

    @Test
    void exitCodePropagates() {
        Cmd.Result r = podman("run", "--rm", RUN_FLAGS, IMAGE, "sh", "-c", "exit 42");
        assertThat(r.exit()).as(r.describe()).isEqualTo(42);
    }

    @Test
    void detachedExecStopRm() {
        String name = "it-detached";
        try {
            Cmd.Result run = podman("run", "-d", "--name", name, RUN_FLAGS, IMAGE,
                    "sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait");
            assertThat(run.exit()).as(run.describe()).isZero();
            assertThat(inspect(name, "{{.State.Status}}")).isEqualTo("running");

            Cmd.Result exec = podman("exec", name, "sh", "-c", "echo from-exec; cat /proc/1/cmdline | tr '\\0' ' '");
            assertThat(exec.exit()).as(exec.describe()).isZero();
            assertThat(exec.out()).as(exec.describe()).contains("from-exec").contains("sleep 1000");

            Cmd.Result execFail = podman("exec", name, "sh", "-c", "exit 7");
            assertThat(execFail.exit()).as(execFail.describe()).isEqualTo(7);

            podman("stop", "--time", "30", name).ok();
            assertThat(inspect(name, "{{.State.Status}}")).isEqualTo("exited");
            assertThat(inspect(name, "{{.State.ExitCode}}")).as("SIGTERM reached the trap (SIGKILL would be 137)")
                    .isEqualTo("0");

            podman("rm", name).ok();
            assertThat(podman("ps", "-a", "--format", "{{.Names}}").ok().out()).doesNotContain(name);
        } finally {
            podman("rm", "--force", "--time", "0", name);
        }
    }

    private static String inspect(String name, String format) {
        return podman("inspect", "--format", format, name).ok().out().strip();
    }

    private static Cmd.Result podman(Object... args) {
        return Cmd.run(Duration.ofSeconds(90), podman, args);
    }
}
