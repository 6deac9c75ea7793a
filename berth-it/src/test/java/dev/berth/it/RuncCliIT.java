package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

/**
 * The runtime binary (bin/berth-runc, or -Dberth.runtime) driven the way containerd's shim and
 * conmon drive it, on a busybox bundle from scripts/mk-bundle.sh, with its state under a private
 * --root. Each test deletes its containers and removes its directory, pass or fail.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RuncCliIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** PID 1 of the container: exits 0 on SIGTERM (PID 1 ignores signals it does not handle). */
    private static final String[] WAIT_FOR_TERM = {"sh", "-c", "trap 'exit 0' TERM; echo started; sleep 1000 & wait"};

    private static Path runtime;
    private Scratch scratch;
    private Path root;
    private String prefix;

    @BeforeAll
    static void tools() {
        Tools.requireRoot();
        runtime = Tools.runtime();
    }

    @BeforeEach
    void setUp(TestInfo info) {
        scratch = Scratch.create("runc");
        root = scratch.mkdirs("state");
        prefix = "it-" + info.getTestMethod().orElseThrow().getName().toLowerCase() + "-" + ProcessHandle.current().pid();
    }

    @AfterEach
    void tearDown() {
        try {
            for (String id : containerIds()) rt("delete", "--force", id);
        } finally {
            scratch.close();
        }
    }

    @Test
    void lifecycleCreateStartKillDelete() throws Exception {
        Path bundle = bundle("b", WAIT_FOR_TERM);
        String id = prefix;

        rt("create", "--bundle", bundle, id).ok();
        JsonNode created = state(id);
        assertThat(created.fieldNames()).toIterable().contains("ociVersion", "id", "status", "pid", "bundle");
        assertThat(created.get("id").asText()).isEqualTo(id);
        assertThat(created.get("status").asText()).isEqualTo("created");
        assertThat(created.get("ociVersion").asText()).isNotBlank();
        assertThat(Path.of(created.get("bundle").asText())).isEqualTo(bundle);
        long pid = created.get("pid").asLong();
        assertThat(pid).as("pid of the waiting init").isPositive();
        assertThat(Path.of("/proc", Long.toString(pid))).exists();

        rt("start", id).ok();
        JsonNode running = state(id);
        assertThat(running.get("status").asText()).isEqualTo("running");
        assertThat(running.get("pid").asLong()).isEqualTo(pid);

        rt("kill", id, "TERM").ok();
        awaitStatus(id, "stopped", Duration.ofSeconds(20));
        assertThat(goneOrZombie(pid)).as("init %d gone (or a zombie left to its reaper)", pid).isTrue();

        rt("delete", id).ok();
        Cmd.Result gone = rt("state", id);
        assertThat(gone.exit()).as(gone.describe()).isNotZero();
        assertThat(containerIds()).doesNotContain(id);

        // The id can be used again once deleted.
        rt("create", "--bundle", bundle, id).ok();
        assertThat(state(id).get("status").asText()).isEqualTo("created");
        rt("delete", "--force", id).ok();
        assertThat(rt("state", id).exit()).isNotZero();
    }

    @Test
    void runPropagatesExitCodeAndStdio() {
        Path bundle = bundle("b", "sh", "-c", "echo out-line; echo err-line >&2; exit 3");
        Cmd.Result r = rt("run", "--bundle", bundle, prefix);
        assertThat(r.exit()).as(r.describe()).isEqualTo(3);
        assertThat(r.out()).as(r.describe()).contains("out-line");
        assertThat(r.err()).as(r.describe()).contains("err-line");
        assertThat(rt("state", prefix).exit()).as("run deletes the container").isNotZero();

        Path ok = bundle("ok", "true");
        Cmd.Result r0 = rt("run", "--bundle", ok, prefix + "-0");
        assertThat(r0.exit()).as(r0.describe()).isZero();
    }

    @Test
    void listShowsContainers() throws Exception {
        Path bundle = bundle("b", WAIT_FOR_TERM);
        String a = prefix + "-a";
        String b = prefix + "-b";
        rt("create", "--bundle", bundle, a).ok();
        rt("create", "--bundle", bundle, b).ok();
        rt("start", b).ok();

        Cmd.Result table = rt("list").ok();
        assertThat(table.out()).contains("ID", a, b);

        Cmd.Result quiet = rt("list", "-q").ok();
        assertThat(quiet.out().lines().toList()).containsExactlyInAnyOrder(a, b);

        JsonNode json = JSON.readTree(rt("list", "--format", "json").ok().out());
        assertThat(json.isArray()).as(json.toString()).isTrue();
        List<String> rows = new ArrayList<>();
        json.forEach(c -> rows.add(c.get("id").asText() + "=" + c.get("status").asText()));
        assertThat(rows).containsExactlyInAnyOrder(a + "=created", b + "=running");

        rt("delete", "--force", a).ok();
        rt("delete", "--force", b).ok();
        assertThat(rt("list", "-q").ok().out()).isBlank();
    }

    @Test
    void deleteOfUnknownIdFailsNamingIt() {
        String id = prefix + "-nosuch";
        Cmd.Result r = rt("delete", id);
        assertThat(r.exit()).as(r.describe()).isNotZero();
        assertThat(r.all()).as(r.describe()).contains(id);

        Cmd.Result s = rt("state", id);
        assertThat(s.exit()).as(s.describe()).isNotZero();
    }

    @Test
    void duplicateIdFails() throws Exception {
        Path bundle = bundle("b", WAIT_FOR_TERM);
        rt("create", "--bundle", bundle, prefix).ok();
        long pid = state(prefix).get("pid").asLong();

        Cmd.Result dup = rt("create", "--bundle", bundle, prefix);
        assertThat(dup.exit()).as(dup.describe()).isNotZero();
        assertThat(dup.all()).as("names the id or the cause: " + dup.describe()).containsAnyOf(prefix, "exist");

        JsonNode still = state(prefix);
        assertThat(still.get("status").asText()).as("the first container is untouched").isEqualTo("created");
        assertThat(still.get("pid").asLong()).isEqualTo(pid);
    }

    @Test
    void deleteOfRunningContainerNeedsForce() throws Exception {
        Path bundle = bundle("b", WAIT_FOR_TERM);
        rt("create", "--bundle", bundle, prefix).ok();
        rt("start", prefix).ok();

        Cmd.Result r = rt("delete", prefix);
        assertThat(r.exit()).as(r.describe()).isNotZero();
        assertThat(state(prefix).get("status").asText()).as("still running after a refused delete").isEqualTo("running");

        long pid = state(prefix).get("pid").asLong();
        rt("delete", "--force", prefix).ok();
        assertThat(rt("state", prefix).exit()).isNotZero();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!goneOrZombie(pid) && System.nanoTime() < deadline) Thread.sleep(50);
        assertThat(goneOrZombie(pid)).as("init %d killed by delete --force", pid).isTrue();
    }

    @Test
    void specWritesConfigJson() throws Exception {
        Path dir = scratch.mkdirs("spec");
        rt("spec", "--bundle", dir).ok();
        Path config = dir.resolve("config.json");
        assertThat(config).isRegularFile();
        JsonNode spec = JSON.readTree(Files.readString(config));
        assertThat(spec.path("ociVersion").asText()).startsWith("1.");
        assertThat(spec.path("process").path("args").toString()).isEqualTo("[\"sh\"]");
        assertThat(spec.path("root").path("path").asText()).isEqualTo("rootfs");
        List<String> ns = new ArrayList<>();
        spec.path("linux").path("namespaces").forEach(n -> ns.add(n.path("type").asText()));
        assertThat(ns).contains("pid", "mount");
    }

    @Test
    void featuresPrintsJson() throws Exception {
        Cmd.Result r = rt("features").ok();
        JsonNode f = JSON.readTree(r.out());
        assertThat(f.path("ociVersionMin").asText()).as(r.out()).startsWith("1.");
        assertThat(f.path("ociVersionMax").asText()).as(r.out()).startsWith("1.");
        assertThat(f.path("linux").path("namespaces").isArray()).as(r.out()).isTrue();
    }

    // ---- helpers

    private Cmd.Result rt(Object... args) {
        return Cmd.run(Duration.ofSeconds(30), runtime, "--root", root, args);
    }

    private Path bundle(String name, String... args) {
        Path dir = scratch.path(name);
        Cmd.run(Duration.ofSeconds(30), Tools.script("mk-bundle.sh"), dir, args).ok();
        return dir;
    }

    private JsonNode state(String id) throws Exception {
        return JSON.readTree(rt("state", id).ok().out());
    }

    private void awaitStatus(String id, String status, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        String last;
        do {
            last = state(id).get("status").asText();
            if (last.equals(status)) return;
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("container " + id + " still " + last + " after " + within.toSeconds() + " s, not " + status);
    }

    private static boolean goneOrZombie(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (java.io.IOException e) {
            return true;
        }
    }

    /** Ids under our --root: from `list -q`, else from the state directories themselves. */
    private List<String> containerIds() {
        List<String> ids = new ArrayList<>();
        Cmd.Result r = rt("list", "-q");
        if (r.exit() == 0) {
            r.out().lines().filter(l -> !l.isBlank()).forEach(ids::add);
        }
        try (var dirs = Files.list(root)) {
            dirs.filter(Files::isDirectory).map(p -> p.getFileName().toString())
                    .filter(n -> !ids.contains(n)).forEach(ids::add);
        } catch (java.io.IOException ignored) {
            // root already gone
        }
        return ids;
    }
}
