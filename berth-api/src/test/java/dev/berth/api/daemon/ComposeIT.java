package dev.berth.api.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Debian's docker-compose 1.29 and docker-py (python3-docker) against a berthd started by
 * bin/berthd (own socket, --root, --exec-root and cgroup parent); the image is
 * scripts/mk-oci-image.sh's busybox, loaded with the docker CLI as {@code busybox:latest}.
 */
class ComposeIT {
  static final Path REPO = Path.of("..").toAbsolutePath().normalize();
  static final Path DOCKER = Path.of("/usr/local/bin/docker");
  static final Path COMPOSE = Path.of("/usr/bin/docker-compose");
  static final Path PYTHON = Path.of("/usr/bin/python3");
  static Path tmp;
  static Process berthd;
  static Path socket;
  static String cgroupParent;
  static String project;
  static final dev.berth.api.TestBerthd.Net NET = dev.berth.api.TestBerthd.Net.pick();

  record Ran(int code, String out, String err) {
    Ran ok() {
      if (code != 0) fail("exit " + code + ": " + out + err);
      return this;
    }
  }

  @BeforeAll
  static void start() throws Exception {
    for (Path tool : List.of(REPO.resolve("bin/berthd"), DOCKER, COMPOSE, PYTHON, Path.of("/bin/busybox"))) {
      if (!Files.isExecutable(tool)) {
        fail("missing: " + tool + (tool.equals(COMPOSE) ? " (Debian docker-compose)" : tool.toString().contains("busybox") ? " (Debian busybox-static)" : ""));
      }
    }
    Process probe = new ProcessBuilder(PYTHON.toString(), "-c", "import docker").redirectErrorStream(true).start();
    if (probe.waitFor() != 0) fail("missing: python3 module docker (Debian python3-docker)");
    tmp = Files.createTempDirectory("berth-compose-it-");
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    cgroupParent = "berth-test-" + tmp.getFileName();
    project = "bc" + tmp.getFileName().toString().replaceAll("[^a-z0-9]", "").toLowerCase();
    Process mk = new ProcessBuilder("sh", REPO.resolve("scripts/mk-oci-image.sh").toString(), tmp.resolve("img").toString(), "busybox:latest")
        .redirectErrorStream(true).start();
    String mkOut = new String(mk.getInputStream().readAllBytes());
    assertThat(mk.waitFor()).as("mk-oci-image: %s", mkOut).isZero();
    Files.createDirectories(tmp.resolve("docker-config"));
    socket = tmp.resolve("d.sock");
    ProcessBuilder pb = new ProcessBuilder(REPO.resolve("bin/berthd").toString(), "-H", "unix://" + socket, "--root",
        tmp.resolve("lib").toString(), "--exec-root", tmp.resolve("run").toString(), "--bridge", NET.bridge(), "--bip", NET.bip(),
        "--default-address-pool", NET.pool(), "--nft-table", NET.nftTable())
        .redirectErrorStream(true).redirectOutput(tmp.resolve("berthd.log").toFile());
    pb.environment().put("BERTH_CGROUP_PARENT", cgroupParent);
    berthd = pb.start();
    for (int i = 0; i < 600 && !Files.exists(socket); i++) Thread.sleep(50);
    if (!Files.exists(socket)) fail("berthd did not start: " + Files.readString(tmp.resolve("berthd.log")));
    run(List.of(DOCKER.toString(), "load", "-i", tmp.resolve("img/image.tar").toString()), null).ok();
  }

  @AfterAll
  static void stop() throws Exception {
    if (berthd != null) {
      Ran ids = run(List.of(DOCKER.toString(), "ps", "-aq"), null);
      for (String id : ids.out().split("\\s+")) if (!id.isBlank()) run(List.of(DOCKER.toString(), "rm", "-f", id), null);
      berthd.destroy();
      if (!berthd.waitFor(20, TimeUnit.SECONDS)) berthd.destroyForcibly();
    }
    try (var ds = Files.newDirectoryStream(Path.of("/sys/fs/cgroup"))) {
      for (Path h : ds) if (Files.isDirectory(h.resolve(cgroupParent))) Files.deleteIfExists(h.resolve(cgroupParent));
    }
    new ProcessBuilder("ip", "link", "del", NET.bridge()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
    new ProcessBuilder("nft", "delete", "table", "inet", NET.nftTable()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
    if (tmp != null) new ProcessBuilder("rm", "-rf", tmp.toString()).start().waitFor();
  }

  static Ran run(List<String> cmd, Path dir) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd);
    if (dir != null) pb.directory(dir.toFile());
    Map<String, String> env = pb.environment();
    env.put("DOCKER_HOST", "unix://" + socket);
    env.put("DOCKER_CONFIG", tmp.resolve("docker-config").toString());
    env.put("COMPOSE_INTERACTIVE_NO_CLI", "1");
    pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    Path out = Files.createTempFile(tmp, "out", ".txt");
    Path err = Files.createTempFile(tmp, "err", ".txt");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    Process p = pb.start();
    if (!p.waitFor(180, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("timed out: " + cmd);
    }
    return new Ran(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  static Ran compose(Path dir, String... args) throws Exception {
    return composeP(project, dir, args);
  }

  static Ran composeP(String project, Path dir, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(COMPOSE.toString(), "-p", project));
    cmd.addAll(List.of(args));
    return run(cmd, dir);
  }

  /** Runs a docker-py script (high-level client {@code c}) and returns its stdout. */
  static String py(String body) throws Exception {
    String script = "import docker, sys, time\nc = docker.DockerClient(base_url='unix://" + socket + "', timeout=60)\n" + body;
    Process p = new ProcessBuilder(PYTHON.toString(), "-c", script).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(180, TimeUnit.SECONDS)) fail("docker-py timed out");
    if (p.exitValue() != 0) fail("docker-py failed:\n" + out + "\nberthd log:\n" + Files.readString(tmp.resolve("berthd.log")));
    return out;
  }

  @Test
  void dockerPy() throws Exception {
    String out = py("""
        print(repr(c.containers.run('busybox', 'echo hi', remove=True)))
        d = c.containers.run('busybox', ['sh', '-c', 'echo started; sleep 1000'], detach=True, labels={'a': 'b'})
        for i in range(200):
            if d.logs() == b'started\\n': break
            time.sleep(0.1)
        print(repr(d.logs()))
        r = d.exec_run('echo x')
        print(r.exit_code, repr(r.output))
        print([x.id for x in c.containers.list(filters={'label': 'a=b'})] == [d.id])
        print(c.containers.list(filters={'label': 'a=nope'}))
        d.stop(timeout=1)
        d.reload()
        print(d.status)
        d.remove()
        print([x.id for x in c.containers.list(all=True)].count(d.id))
        print(sorted(n.name for n in c.networks.list()))
        print(c.networks.get('host').attrs['Driver'])
        n = c.networks.create('berth-py-net', labels={'x': 'y'})
        print(c.networks.get('berth-py-net').attrs['Labels'])
        n.remove()
        try:
            c.networks.get('berth-py-net')
        except docker.errors.NotFound as e:
            print(e.status_code)
        """);
    assertThat(out.lines().toList()).containsExactly(
        "b'hi\\n'", "b'started\\n'", "0 b'x\\n'", "True", "[]", "exited", "0", "['bridge', 'host', 'none']", "host", "{'x': 'y'}", "404");
  }

  @Test
  void composeUpPsLogsExecDown() throws Exception {
    Path dir = tmp.resolve("proj");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("docker-compose.yml"), """
        version: '2.4'
        services:
          talker:
            image: busybox
            network_mode: host
            command: ["sh", "-c", "i=0; while true; do echo line $$i; i=$$((i+1)); sleep 1; done"]
          sleeper:
            image: busybox
            network_mode: host
            command: ["sleep", "1000"]
            labels:
              dev.berth.test: "compose"
            environment:
              GREETING: hello-from-compose
        """);
    try {
      compose(dir, "up", "-d").ok();
      Ran ps = compose(dir, "ps").ok();
      assertThat(ps.out()).containsPattern(project + "_talker_1 .* Up").containsPattern(project + "_sleeper_1 .* Up");
      Ran logs = null;
      for (int i = 0; i < 100; i++) {
        logs = compose(dir, "logs", "talker").ok();
        if (logs.out().contains("line 1")) break;
        Thread.sleep(200);
      }
      assertThat(logs.out()).contains("talker_1").contains("line 0").contains("line 1");
      assertThat(compose(dir, "exec", "-T", "sleeper", "env").ok().out()).contains("GREETING=hello-from-compose");
      Ran labelled = run(List.of(DOCKER.toString(), "ps", "-q", "--filter", "label=dev.berth.test=compose",
          "--filter", "label=com.docker.compose.project=" + project), null).ok();
      assertThat(labelled.out().lines().toList()).hasSize(1);
      compose(dir, "down").ok();
      assertThat(run(List.of(DOCKER.toString(), "ps", "-aq", "--filter", "label=com.docker.compose.project=" + project), null).ok().out()).isBlank();
    } finally {
      compose(dir, "down");
    }
  }

  /** A project on its own network (compose's <project>_default): two services reach each other by IP and by service name; down removes the network. */
  @Test
  void composeDefaultNetwork() throws Exception {
    Path dir = tmp.resolve("proj-net");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("docker-compose.yml"), """
        version: '3'
        services:
          a:
            image: busybox
            command: ["sleep", "100"]
          b:
            image: busybox
            command: ["sleep", "100"]
        """);
    try {
      composeP(project + "net", dir, "up", "-d").ok();
      String net = project + "net_default";
      assertThat(run(List.of(DOCKER.toString(), "network", "ls", "--format", "{{.Name}}"), null).ok().out()).contains(net);
      String ipB = run(List.of(DOCKER.toString(), "inspect", "-f", "{{(index .NetworkSettings.Networks \"" + net + "\").IPAddress}}",
          project + "net_b_1"), null).ok().out().strip();
      assertThat(ipB).isNotEmpty();
      assertThat(composeP(project + "net", dir, "exec", "-T", "a", "ping", "-c", "1", "-W", "5", ipB).ok().out()).contains("1 packets received");
      // by service name, through the embedded DNS
      assertThat(composeP(project + "net", dir, "exec", "-T", "a", "ping", "-c", "1", "-W", "5", "b").ok().out())
          .contains("(" + ipB + ")").contains("1 packets received");
      composeP(project + "net", dir, "down").ok();
      assertThat(run(List.of(DOCKER.toString(), "ps", "-aq", "--filter", "label=com.docker.compose.project=" + project + "net"), null).ok().out()).isBlank();
      assertThat(run(List.of(DOCKER.toString(), "network", "ls", "--format", "{{.Name}}"), null).ok().out()).doesNotContain(net);
    } finally {
      composeP(project + "net", dir, "down");
    }
  }
}
