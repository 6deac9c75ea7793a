package dev.berth.api.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import dev.berth.api.TestBerthd;
import dev.berth.api.TestBerthd.Ran;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * docker exec through a berthd started by bin/berthd (own socket, --root, --exec-root and cgroup
 * parent), driven by the real docker CLI and docker-py (Debian's python3-docker); the image is
 * scripts/mk-oci-image.sh's busybox, loaded into the test's store with berth-image.
 */
class ExecIT {
  static final Path REPO = TestBerthd.REPO;
  static final String IMAGE = TestBerthd.IMAGE;
  static final Path DOCKER = TestBerthd.DOCKER;
  static TestBerthd berthd;
  static Path tmp;
  static Path socket;

  @BeforeAll
  static void start() throws Exception {
    berthd = TestBerthd.start("exec");
    tmp = berthd.tmp();
    socket = berthd.socket();
    docker("run", "-d", "--name", "c1", IMAGE, "sleep", "600").ok();
    docker("run", "-d", "--name", "stopped", IMAGE, "true").ok();
    docker("wait", "stopped").ok();
  }

  @AfterAll
  static void stop() throws Exception {
    if (berthd != null) {
      docker("rm", "-f", "c1", "stopped");
      berthd.close();
    }
  }

  static Ran docker(String... args) throws Exception {
    return berthd.docker(args);
  }

  static Ran dockerIn(String stdin, String... args) throws Exception {
    return berthd.dockerIn(stdin, args);
  }

  @Test
  void cliExec() throws Exception {
    assertThat(docker("exec", "c1", "echo", "hi").ok().out()).isEqualTo("hi\n");
    assertThat(docker("exec", "c1", "sh", "-c", "exit 5").code()).isEqualTo(5);
    assertThat(dockerIn("data\n", "exec", "-i", "c1", "cat").ok().out()).isEqualTo("data\n");
    assertThat(docker("exec", "-e", "X=1", "-w", "/tmp", "-u", "nobody", "c1", "sh", "-c", "echo $X; pwd; id -u").ok().out())
        .isEqualTo("1\n/tmp\n65534\n");
    docker("exec", "-d", "c1", "touch", "/tmp/by-detached-exec").ok();
    Ran check = null;
    for (int i = 0; i < 100; i++) {
      check = docker("exec", "c1", "ls", "/tmp/by-detached-exec");
      if (check.code() == 0) break;
      Thread.sleep(100);
    }
    assertThat(check.out()).isEqualTo("/tmp/by-detached-exec\n");
    Ran stopped = docker("exec", "stopped", "true");
    assertThat(stopped.code()).isNotZero();
    assertThat(stopped.err()).contains("is not running");
    Ran unknown = docker("exec", "no-such-container-here", "true");
    assertThat(unknown.code()).isNotZero();
    assertThat(unknown.err()).contains("No such container: no-such-container-here");
    Ran missing = docker("exec", "c1", "no-such-program");
    assertThat(missing.code()).isEqualTo(127);
    assertThat(missing.out() + missing.err()).contains("executable file not found");
  }

  /** docker exec -it through a real pty (python3's pty module): tty, the size the CLI sent. */
  @Test
  void cliExecWithTerminal() throws Exception {
    String script = String.join("\n",
        "import os, pty, sys, fcntl, termios, struct",
        "pid, fd = pty.fork()",
        "if pid == 0:",
        "    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', 27, 88, 0, 0))",
        "    os.environ['DOCKER_HOST'] = 'unix://" + socket + "'",
        "    os.environ['DOCKER_CONFIG'] = '" + tmp.resolve("docker-config") + "'",
        "    os.execv('" + DOCKER + "', ['docker', 'exec', '-it', 'c1', 'sh', '-c', 'tty; stty size; exit 3'])",
        "out = b''",
        "while True:",
        "    try:",
        "        d = os.read(fd, 4096)",
        "    except OSError:",
        "        break",
        "    if not d: break",
        "    out += d",
        "_, st = os.waitpid(pid, 0)",
        "sys.stdout.write(out.decode(errors='replace'))",
        "print('exit', os.waitstatus_to_exitcode(st))");
    Process p = new ProcessBuilder("/usr/bin/python3", "-c", script).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(out).contains("/dev/pts/").contains("exit 3");
    assertThat(out).as(out).contains("27 88");
  }

  /** Runs a docker-py script (client {@code c}) and returns its stdout; fails with its output otherwise. */
  static String py(String body) throws Exception {
    String script = "import docker, sys, time\nc = docker.APIClient(base_url='unix://" + socket + "', version='1.41', timeout=60)\nc1 = c.inspect_container('c1')['Id']\n" + body;
    Process p = new ProcessBuilder("/usr/bin/python3", "-c", script).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(120, TimeUnit.SECONDS)) fail("docker-py timed out");
    if (p.exitValue() != 0) fail("docker-py failed:\n" + out + "\nberthd log:\n" + Files.readString(tmp.resolve("berthd.log")));
    return out;
  }

  static String c1Id() throws Exception {
    return docker("inspect", "-f", "{{.Id}}", "c1").ok().out().trim();
  }

  @Test
  void outputAndExitCode() throws Exception {
    String out = py("""
        e = c.exec_create('c1', ['sh', '-c', 'echo hi; echo oops >&2; exit 5'])
        print(repr(c.exec_start(e['Id'], demux=True)))
        i = c.exec_inspect(e['Id'])
        print(i['ExitCode'], i['Running'], i['ContainerID'], i['ProcessConfig']['entrypoint'], i['ProcessConfig']['arguments'])
        """);
    assertThat(out.lines().toList()).containsExactly("(b'hi\\n', b'oops\\n')", "5 False " + c1Id() + " sh ['-c', 'echo hi; echo oops >&2; exit 5']");
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
    assertThat(l.get(1)).startsWith("409 container ").endsWith(" is not running");
    assertThat(l.get(2)).isEqualTo("400 No exec command specified");
    assertThat(l.get(3)).isEqualTo("404 No such exec instance: " + "0".repeat(64));
    assertThat(l.get(4)).contains("OCI runtime exec failed").contains("executable file not found").contains("no-such-program");
    assertThat(l.get(5)).isEqualTo("127");
    assertThat(l.get(6)).startsWith("409 exec command ").endsWith(" has already run");
  }
}
