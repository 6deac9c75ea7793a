package dev.berth.api.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.runtime.RuntimeContext;
import dev.berth.runtime.ops.Create;
import dev.berth.runtime.ops.Delete;
import dev.berth.runtime.ops.StateOp;
import dev.berth.runtime.state.StateStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * docker exec through a berthd started by bin/berthd, driven by docker-py (Debian's
 * python3-docker, a real client of the Engine API): containers are made by the runtime in this
 * JVM (as berthd's containers service will) in a state root of the test's own, with a cgroup path
 * of its own, busybox-static as the rootfs.
 */
class ExecIT {
  static final Path REPO = Path.of("..").toAbsolutePath().normalize();
  static final Path LAUNCHER = REPO.resolve("berth-native/target/berth-launch");
  static final ObjectMapper JSON = new ObjectMapper();
  static Path tmp;
  static RuntimeContext ctx;
  static String cgroupParent;
  static Process berthd;
  static Path socket;
  static final List<String> ids = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    for (Path tool : List.of(LAUNCHER, REPO.resolve("bin/berthd"), Path.of("/usr/bin/python3"), Path.of("/bin/busybox"))) {
      if (!Files.isExecutable(tool)) fail("missing: " + tool + (tool.toString().contains("busybox") ? " (Debian busybox-static)" : ""));
    }
    tmp = Files.createTempDirectory("berth-exec-it-");
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    cgroupParent = "berth-test-" + tmp.getFileName();
    ctx = new RuntimeContext(new StateStore(tmp.resolve("state")), LAUNCHER, null, null);
    container("c1", "sleep", "600");
    container("stopped", "true");
    for (int i = 0; i < 500 && !"stopped".equals(StateOp.state(ctx, "stopped").get("status")); i++) Thread.sleep(20);
    socket = tmp.resolve("d.sock");
    ProcessBuilder pb = new ProcessBuilder(REPO.resolve("bin/berthd").toString(), "-H", "unix://" + socket, "--root",
        tmp.resolve("lib").toString()).redirectErrorStream(true).redirectOutput(tmp.resolve("berthd.log").toFile());
    pb.environment().put("BERTHD_RUNTIME_ROOT", tmp.resolve("state").toString());
    berthd = pb.start();
    for (int i = 0; i < 600 && !Files.exists(socket); i++) Thread.sleep(50);
    if (!Files.exists(socket)) fail("berthd did not start: " + Files.readString(tmp.resolve("berthd.log")));
  }

  /** A running container (run -d: the launcher stays as its monitor) made in process. */
  static void container(String id, String... args) throws Exception {
    Path b = tmp.resolve("b-" + id);
    Files.createDirectories(b.resolve("rootfs"));
    Process mk = new ProcessBuilder("sh", REPO.resolve("scripts/mk-rootfs.sh").toString(), b.resolve("rootfs").toString())
        .redirectErrorStream(true).start();
    String mkOut = new String(mk.getInputStream().readAllBytes());
    assertThat(mk.waitFor()).as("mk-rootfs: %s", mkOut).isZero();
    ObjectNode cfg = (ObjectNode) JSON.readTree(dev.berth.spec.Spec.class.getResourceAsStream("default-config.json"));
    ObjectNode proc = (ObjectNode) cfg.get("process");
    proc.put("terminal", false);
    ArrayNode a = proc.putArray("args");
    for (String s : args) a.add(s);
    ((ObjectNode) cfg.get("linux")).put("cgroupsPath", "/" + cgroupParent + "/" + id);
    ((ArrayNode) cfg.get("mounts")).addObject().put("destination", "/tmp").put("type", "tmpfs").put("source", "tmpfs");
    Files.writeString(b.resolve("config.json"), JSON.writeValueAsString(cfg));
    ids.add(id);
    var plan = Create.prepare(ctx, new Create.Request(id, b, "run", null, null, false, 0, true));
    Path planFile = tmp.resolve(id + ".plan");
    Files.write(planFile, plan.encode());
    Process l = new ProcessBuilder(LAUNCHER.toString(), "--plan-file", planFile.toString())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectErrorStream(true).start();
    assertThat(l.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(l.exitValue()).as("launcher of %s", id).isZero();
  }

  @AfterAll
  static void stop() throws Exception {
    if (berthd != null) {
      berthd.destroy();
      if (!berthd.waitFor(20, TimeUnit.SECONDS)) berthd.destroyForcibly();
    }
    for (String id : ids) {
      if (ctx.store().exists(id)) Delete.delete(ctx, id, true);
    }
    try (var ds = Files.newDirectoryStream(Path.of("/sys/fs/cgroup"))) {
      for (Path h : ds) Files.deleteIfExists(h.resolve(cgroupParent));
    }
    try (var w = Files.walk(tmp)) {
      for (Path p : w.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }

  /** Runs a docker-py script (client {@code c}) and returns its stdout; fails with its output otherwise. */
  static String py(String body) throws Exception {
    String script = "import docker, sys, time\nc = docker.APIClient(base_url='unix://" + socket + "', version='1.41', timeout=60)\n" + body;
    Process p = new ProcessBuilder("/usr/bin/python3", "-c", script).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(120, TimeUnit.SECONDS)) fail("docker-py timed out");
    if (p.exitValue() != 0) fail("docker-py failed:\n" + out + "\nberthd log:\n" + Files.readString(tmp.resolve("berthd.log")));
    return out;
  }

  @Test
  void outputAndExitCode() throws Exception {
    String out = py("""
        e = c.exec_create('c1', ['sh', '-c', 'echo hi; echo oops >&2; exit 5'])
        print(repr(c.exec_start(e['Id'], demux=True)))
        i = c.exec_inspect(e['Id'])
        print(i['ExitCode'], i['Running'], i['ContainerID'], i['ProcessConfig']['entrypoint'], i['ProcessConfig']['arguments'])
        """);
    assertThat(out.lines().toList()).containsExactly("(b'hi\\n', b'oops\\n')", "5 False c1 sh ['-c', 'echo hi; echo oops >&2; exit 5']");
  }

  @Test
  void stdinUntilHalfClose() throws Exception {
    String out = py("""
        e = c.exec_create('c1', ['sh', '-c', 'cat; echo after-eof'], stdin=True)
        s = c.exec_start(e['Id'], socket=True)._sock
        s.sendall(b'data via stdin\\n'); s.shutdown(1)
        buf = b''
        while True:
            d = s.recv(4096)
            if not d: break
            buf += d
        print(repr(buf))
        print(c.exec_inspect(e['Id'])['ExitCode'])
        """);
    // two stdout frames: 8-byte headers (stream 1, big-endian length)
    assertThat(out).contains("data via stdin\\n").contains("after-eof\\n").contains("\\x01\\x00\\x00\\x00");
    assertThat(out.lines().toList().getLast()).isEqualTo("0");
  }

  @Test
  void envWorkdirUser() throws Exception {
    String out = py("""
        e = c.exec_create('c1', ['sh', '-c', 'echo $X; pwd; id -u; id -g'], environment=['X=1'], workdir='/tmp', user='nobody')
        sys.stdout.write(c.exec_start(e['Id']).decode())
        e = c.exec_create('c1', ['id', '-u'], user='123:45')
        sys.stdout.write(c.exec_start(e['Id']).decode())
        """);
    assertThat(out.lines().toList()).containsExactly("1", "/tmp", "65534", "65534", "123");
  }

  @Test
  void detachedRunsToTheEnd() throws Exception {
    String out = py("""
        e = c.exec_create('c1', ['sh', '-c', 'echo made > /tmp/by-detached-exec'])
        print(repr(c.exec_start(e['Id'], detach=True)))
        for i in range(300):
            if c.exec_inspect(e['Id'])['ExitCode'] is not None: break
            time.sleep(0.05)
        print(c.exec_inspect(e['Id'])['ExitCode'])
        e = c.exec_create('c1', ['cat', '/tmp/by-detached-exec'])
        sys.stdout.write(c.exec_start(e['Id']).decode())
        """);
    assertThat(out.lines().toList()).containsExactly("''", "0", "made");
  }

  @Test
  void terminalWithResize() throws Exception {
    String out = py("""
        e = c.exec_create('c1', ['sh'], stdin=True, tty=True)
        s = c.exec_start(e['Id'], socket=True, tty=True)._sock
        c.exec_resize(e['Id'], height=31, width=97)
        s.sendall(b'tty; stty size; exit 7\\n')
        buf = b''
        while True:
            d = s.recv(4096)
            if not d: break
            buf += d
        print(repr(buf))
        print(c.exec_inspect(e['Id'])['ExitCode'])
        """);
    assertThat(out).contains("/dev/pts/").contains("31 97");
    assertThat(out.lines().toList().getLast()).isEqualTo("7");
  }

  @Test
  void errorsAsDockerd() throws Exception {
    String out = py("""
        for args in [('nope', ['true']), ('stopped', ['true']), ('c1', [])]:
            try:
                c.exec_create(*args); print('created?')
            except docker.errors.APIError as ex:
                print(ex.status_code, ex.explanation)
        try:
            c.exec_inspect('0' * 64)
        except docker.errors.APIError as ex:
            print(ex.status_code, ex.explanation)
        e = c.exec_create('c1', ['no-such-program'])
        print(repr(c.exec_start(e['Id'])))
        print(c.exec_inspect(e['Id'])['ExitCode'])
        try:
            c.exec_start(e['Id'])
        except docker.errors.APIError as ex:
            print(ex.status_code, ex.explanation)
        """);
    List<String> l = out.lines().toList();
    assertThat(l.get(0)).isEqualTo("404 No such container: nope");
    assertThat(l.get(1)).isEqualTo("409 container stopped is not running");
    assertThat(l.get(2)).isEqualTo("400 No exec command specified");
    assertThat(l.get(3)).isEqualTo("404 No such exec instance: " + "0".repeat(64));
    assertThat(l.get(4)).contains("OCI runtime exec failed").contains("executable file not found").contains("no-such-program");
    assertThat(l.get(5)).isEqualTo("127");
    assertThat(l.get(6)).startsWith("409 exec command ").endsWith(" has already run");
  }
}
