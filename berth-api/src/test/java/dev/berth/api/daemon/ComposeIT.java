package dev.berth.api.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import dev.berth.api.TestBerthd;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Debian's docker-compose 1.29 and docker-py (python3-docker) against a berthd of the test's own
 * ({@link TestBerthd}: socket, roots, cgroup parent, bridge, --bip, pool and nftables table, checked
 * by {@link dev.berth.api.OwnLeftovers} at the end); the image is scripts/mk-oci-image.sh's
 * busybox, tagged {@code busybox:latest}.
 */
class ComposeIT {
  static final Path DOCKER = TestBerthd.DOCKER;
  static final Path COMPOSE = Path.of("/usr/bin/docker-compose");
  static final Path PYTHON = Path.of("/usr/bin/python3");
  static TestBerthd d;
  static Path tmp;
  static Path socket;
  static String project;

  record Ran(int code, String out, String err) {
    Ran ok() {
      if (code != 0) fail("exit " + code + ": " + out + err);
      return this;
    }
  }

  @BeforeAll
  static void start() throws Exception {
    for (Path tool : List.of(COMPOSE, PYTHON)) {
      if (!Files.isExecutable(tool)) fail("missing: " + tool + (tool.equals(COMPOSE) ? " (Debian docker-compose)" : ""));
    }
    Process probe = new ProcessBuilder(PYTHON.toString(), "-c", "import docker").redirectErrorStream(true).start();
    if (probe.waitFor() != 0) fail("missing: python3 module docker (Debian python3-docker)");
    d = TestBerthd.start("compose");
    tmp = d.tmp();
    socket = d.socket();
    project = "bc" + tmp.getFileName().toString().replaceAll("[^a-z0-9]", "").toLowerCase();
    d.docker("tag", TestBerthd.IMAGE, "busybox:latest").ok();
  }

  /** Removes what is left through berthd, stops it and fails on anything of its own left on the host. */
  @AfterAll
  static void stop() throws Exception {
    if (d != null) d.close();
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
    Ran r = new Ran(p.exitValue(), Files.readString(out), Files.readString(err));
    Files.deleteIfExists(out);
    Files.deleteIfExists(err);
    d.leftovers().sample(); // learn the veths and bridges of what runs now
    return r;
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
