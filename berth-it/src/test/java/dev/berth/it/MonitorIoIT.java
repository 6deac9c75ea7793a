package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.runtime.ContainerException;
import dev.berth.runtime.RuntimeContext;
import dev.berth.runtime.convert.MonitorIo;
import dev.berth.runtime.ops.Create;
import dev.berth.runtime.ops.Delete;
import dev.berth.runtime.plan.Plan;
import dev.berth.runtime.state.StateStore;
import java.io.IOException;
import java.io.InputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The daemon's way to run a container, without the daemon: {@link Create#prepare} with a
 * {@link MonitorIo} in process, then {@code berth-launch --plan-file F} as a child process (as
 * berthd spawns it). The monitor keeps the container's stdio: its output in the json-file log,
 * complete before the exit file appears; stdin fed through the control socket
 * (docs/plan-format.md, "The monitor's stdio"). Own state root and own cgroup parent
 * ({@code linux.cgroupsPath}), so other work on the machine is not disturbed.
 */
class MonitorIoIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Scratch scratch;
    private RuntimeContext ctx;
    private Path launcher;
    private String cgroupParent;
    private String id;

    @BeforeEach
    void setUp(TestInfo info) {
        Tools.requireRoot();
        launcher = Tools.repo().resolve("berth-native/target/berth-launch");
        if (!Files.isExecutable(launcher)) {
            throw new AssertionError("berth-launch is not built (" + launcher + "): ./mvnw -B -o compile -pl berth-native");
        }
        scratch = Scratch.create("mio");
        ctx = new RuntimeContext(new StateStore(scratch.mkdirs("state")), launcher, null, null);
        cgroupParent = "berth-test-mio-" + ProcessHandle.current().pid();
        id = "mio-" + info.getTestMethod().orElseThrow().getName().toLowerCase() + "-" + ProcessHandle.current().pid();
    }

    @AfterEach
    void tearDown() throws IOException {
        try {
            for (String c : ctx.store().ids()) {
                try {
                    Delete.delete(ctx, c, true);
                } catch (RuntimeException e) {
                    // reported by the leftovers check below if it mattered
                }
            }
            for (Path h : cgroupHierarchies()) Files.deleteIfExists(h.resolve(cgroupParent));
        } finally {
            scratch.close();
        }
    }

    private static List<Path> cgroupHierarchies() throws IOException {
        List<Path> out = new ArrayList<>();
        try (var s = Files.list(Path.of("/sys/fs/cgroup"))) {
            s.filter(Files::isDirectory).forEach(out::add);
        }
        out.add(Path.of("/sys/fs/cgroup"));
        return out;
    }

    /** mk-bundle.sh's busybox bundle, in our own cgroup parent; {@code terminal} as given. */
    private Path bundle(boolean terminal, String... args) throws IOException {
        Path dir = scratch.path("bundle");
        Cmd.run(Duration.ofSeconds(60), Tools.script("mk-bundle.sh"), dir, args).ok();
        Path config = dir.resolve("config.json");
        ObjectNode spec = (ObjectNode) JSON.readTree(config.toFile());
        ((ObjectNode) spec.get("linux")).put("cgroupsPath", "/" + cgroupParent + "/" + id);
        ((ObjectNode) spec.get("process")).put("terminal", terminal);
        JSON.writeValue(config.toFile(), spec);
        return dir;
    }

    private MonitorIo io(boolean openStdin) {
        Path d = scratch.mkdirs("ctr");
        return new MonitorIo(d.resolve("json.log"), d.resolve("ctl.sock"), openStdin);
    }

    /** What berthd does: the plan to a root-only file, then the launcher as a child process. */
    private void launch(Plan plan) throws Exception {
        Path dir = Files.createTempDirectory(scratch.dir(), "plan-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path file = dir.resolve("plan");
        Files.write(file, plan.encode());
        Process p = new ProcessBuilder(launcher.toString(), "--plan-file", file.toString())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        // the launcher's pipes reach EOF when it exits: the monitor keeps none of the caller's stdio
        CompletableFuture<String> out = readAll(p.getInputStream());
        CompletableFuture<String> err = readAll(p.getErrorStream());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("launcher returns").isTrue();
        String e = err.get(30, TimeUnit.SECONDS);
        assertThat(p.exitValue()).as("launcher exit code, stderr: %s", e).isZero();
        assertThat(out.get(30, TimeUnit.SECONDS)).isEmpty();
        assertThat(file).as("the launcher takes the plan file").doesNotExist();
    }

    private static CompletableFuture<String> readAll(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "read: " + e;
            }
        });
    }

    private String awaitExit() throws InterruptedException, IOException {
        Path exit = ctx.store().dir(id).resolve("exit");
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!Files.exists(exit) && System.nanoTime() < deadline) Thread.sleep(20);
        assertThat(exit).as("exit file").exists();
        return Files.readString(exit).trim();
    }

    private static List<JsonNode> logEntries(Path log) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) out.add(JSON.readTree(line));
        return out;
    }

    private static String logText(Path log) throws IOException {
        StringBuilder b = new StringBuilder();
        for (JsonNode e : logEntries(log)) b.append(e.get("log").asText());
        return b.toString();
    }

    @Test
    void outputInTheLogBeforeTheExitFile() throws Exception {
        MonitorIo io = io(false);
        Plan plan = Create.prepare(ctx, new Create.Request(id, bundle(false, "sh", "-c",
                "echo hello; echo oops >&2; seq 1 5000; exit 5"), "run", null, null, false, 0, true, null, io));
        launch(plan);
        assertThat(awaitExit()).isEqualTo("exited 5");
        // the exit file's appearance means the log is complete
        List<JsonNode> entries = logEntries(io.jsonLog());
        assertThat(entries).hasSize(5002);
        List<String> stdout = new ArrayList<>();
        for (JsonNode e : entries) {
            assertThat(e.get("time").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z");
            if (e.get("stream").asText().equals("stderr")) assertThat(e.get("log").asText()).isEqualTo("oops\n");
            else stdout.add(e.get("log").asText());
        }
        assertThat(stdout.get(0)).isEqualTo("hello\n");
        assertThat(stdout.get(5000)).isEqualTo("5000\n");
        assertThat(Files.getPosixFilePermissions(io.jsonLog())).isEqualTo(PosixFilePermissions.fromString("rw-r-----"));
        assertThat(io.controlSocket()).as("control socket removed when the monitor exits").doesNotExist();
        Delete.delete(ctx, id, false);
        assertThat(ctx.store().exists(id)).isFalse();
        assertThat(io.jsonLog()).as("the log is the daemon's, not the launcher's, to remove").exists();
    }

    @Test
    void stdinThroughTheControlSocket() throws Exception {
        MonitorIo io = io(true);
        launch(Create.prepare(ctx, new Create.Request(id, bundle(false, "cat"), "run", null, null, false, 0, true, null, io)));
        assertThat(io.controlSocket()).as("listening when the launcher returns").exists();
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(io.controlSocket()))) {
            ch.write(frame(0, "hello from java\n".getBytes(StandardCharsets.UTF_8)));
            ch.write(frame(1, new byte[0]));
            assertThat(awaitExit()).isEqualTo("exited 0");
        }
        assertThat(logText(io.jsonLog())).isEqualTo("hello from java\n");
    }

    @Test
    void terminalWithoutConsoleSocketIsTheMonitors() throws Exception {
        MonitorIo io = io(true);
        launch(Create.prepare(ctx, new Create.Request(id, bundle(true, "sh", "-c", "read x; stty size"), "run", null, null,
                false, 0, true, null, io)));
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(io.controlSocket()))) {
            ch.write(frame(2, new byte[] {0, 42, 0, 99}));
            ch.write(frame(0, "go\n".getBytes(StandardCharsets.UTF_8)));
            assertThat(awaitExit()).isEqualTo("exited 0");
        }
        assertThat(logText(io.jsonLog())).isEqualTo("go\r\n42 99\r\n");
        for (JsonNode e : logEntries(io.jsonLog())) assertThat(e.get("stream").asText()).isEqualTo("stdout");
    }

    @Test
    void onlyForADetachedRun() throws Exception {
        Path bundle = bundle(false, "true");
        MonitorIo io = io(false);
        assertThatThrownBy(() -> Create.prepare(ctx, new Create.Request(id, bundle, "create", null, null, false, 0, false, null, io)))
                .isInstanceOf(ContainerException.class).hasMessageContaining("detach");
        assertThatThrownBy(() -> Create.prepare(ctx, new Create.Request(id, bundle, "run", null, null, false, 0, false, null, io)))
                .isInstanceOf(ContainerException.class).hasMessageContaining("detach");
        assertThatThrownBy(() -> Create.prepare(ctx, new Create.Request(id, bundle, "run", null, scratch.path("console.sock"),
                false, 0, true, null, io))).isInstanceOf(ContainerException.class).hasMessageContaining("console socket");
        assertThat(ctx.store().exists(id)).as("nothing left").isFalse();
    }

    private static ByteBuffer frame(int type, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(5 + payload.length);
        b.put((byte) type).putInt(payload.length).put(payload).flip();
        return b;
    }
}
