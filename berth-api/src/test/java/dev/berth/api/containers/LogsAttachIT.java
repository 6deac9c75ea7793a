package dev.berth.api.containers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.TestBerthd;
import dev.berth.api.TestBerthd.Ran;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Logs and attach end to end: bin/berthd (TestBerthd) with the real docker CLI, curl on the API
 * socket, and a real pty (python3's pty module) for {@code -it}: json-file rotation by the monitor
 * (max-size/max-file), {@code docker logs --tail/-f} across rotated files, attach with logs=1,
 * detach keys, and every byte of a large non-tty output.
 */
class LogsAttachIT {
  static final String IMAGE = TestBerthd.IMAGE;
  static TestBerthd berthd;
  static final List<String> made = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    for (Path tool : List.of(Path.of("/usr/bin/curl"), Path.of("/usr/bin/python3"))) {
      assertThat(tool).as("needs %s", tool).isExecutable();
    }
    berthd = TestBerthd.start("logs");
  }

  @AfterAll
  static void stop() throws Exception {
    if (berthd == null) return;
    for (String n : made) berthd.docker("rm", "-f", n);
    berthd.close();
  }

  static Ran docker(String... args) throws Exception { return berthd.docker(args); }

  static String name(String base) {
    String n = base + "-" + ProcessHandle.current().pid();
    made.add(n);
    return n;
  }

  static List<Path> logFiles(String name) throws Exception {
    Path log = Path.of(docker("inspect", "-f", "{{.LogPath}}", name).ok().out().trim());
    try (Stream<Path> s = Files.list(log.getParent())) {
      return s.filter(p -> p.getFileName().toString().startsWith(log.getFileName().toString())).sorted().toList();
    }
  }

  static List<String> lines(int from, int to) {
    List<String> out = new ArrayList<>();
    for (int i = from; i <= to; i++) out.add("line-" + i);
    return out;
  }

  static final String COUNT = "i=0; while [ $i -lt %d ]; do i=$((i+1)); echo line-$i; %s done";

  @Test
  void rotationKeepsAtMostMaxFileAndLogsReadAcrossThem() throws Exception {
    String n = name("rot");
    docker("run", "-d", "--name", n, "--log-opt", "max-size=1k", "--log-opt", "max-file=3", IMAGE, "sh", "-c",
        COUNT.formatted(2000, "")).ok();
    assertThat(docker("wait", n).ok().out().trim()).isEqualTo("0");
    assertThat(docker("inspect", "-f", "{{json .HostConfig.LogConfig}}", n).ok().out().trim())
        .isEqualTo("{\"Type\":\"json-file\",\"Config\":{\"max-file\":\"3\",\"max-size\":\"1k\"}}");
    List<Path> files = logFiles(n);
    assertThat(files).as("the log and .1 .2, no more").hasSize(3);
    for (Path f : files) assertThat(Files.size(f)).as("%s: max-size plus at most one entry", f).isLessThan(1000 + 100);
    assertThat(docker("logs", "--tail", "5", n).ok().out().lines().toList()).isEqualTo(lines(1996, 2000));
    List<String> all = docker("logs", n).ok().out().lines().toList();
    int first = Integer.parseInt(all.getFirst().substring("line-".length()));
    assertThat(first).as("older output rotated away").isGreaterThan(1);
    assertThat(all).as("contiguous across the files, oldest first").isEqualTo(lines(first, 2000));
    assertThat(docker("logs", "--tail", "2", "-t", n).ok().out().lines().toList())
        .allSatisfy(l -> assertThat(l).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z line-\\d+"));
  }

  @Test
  void followGoesOnAcrossRotationsAndStopsAtTheExit() throws Exception {
    String n = name("follow");
    docker("run", "-d", "--name", n, "--log-opt", "max-size=1k", "--log-opt", "max-file=3", IMAGE, "sh", "-c",
        "sleep 2; " + COUNT.formatted(300, "sleep 0.05;")).ok();
    Ran f = docker("logs", "-f", n); // returns when the container has exited
    assertThat(f.code()).isZero();
    assertThat(f.out().lines().toList()).as("every line, across the rotations, once").isEqualTo(lines(1, 300));
    assertThat(logFiles(n)).as("it did rotate").hasSize(3);
  }

  @Test
  void badLogOptionsAreRefusedWithDockerdsMessages() throws Exception {
    Ran r = docker("run", "--rm", "--log-opt", "max-size=abc", IMAGE, "true");
    assertThat(r.code()).isNotZero();
    assertThat(r.err()).contains("invalid size: 'abc'");
    r = docker("create", "--log-opt", "max-size=1k", "--log-opt", "max-file=0", IMAGE, "true");
    assertThat(r.code()).isNotZero();
    assertThat(r.err()).contains("max-file cannot be less than 1");
    r = docker("create", "--log-opt", "max-sise=1k", IMAGE, "true");
    assertThat(r.err()).contains("unknown log opt 'max-sise' for json-file log driver");
  }

  static String curl(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("/usr/bin/curl", "-s", "--max-time", "60", "--unix-socket", berthd.socket().toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(90, TimeUnit.SECONDS)).isTrue();
    return new String(out, StandardCharsets.ISO_8859_1);
  }

  @Test
  void attachWithLogsReplaysThenStreams() throws Exception {
    String n = name("replay");
    Path go = berthd.tmp().resolve("go-" + n);
    docker("run", "-d", "--name", n, "-v", berthd.tmp() + ":/host", IMAGE, "sh", "-c",
        "echo before; while [ ! -e /host/" + go.getFileName() + " ]; do sleep 0.1; done; echo after").ok();
    for (int i = 0; i < 300 && !docker("logs", n).ok().out().contains("before"); i++) Thread.sleep(100);
    // stream=0: the log only, at once
    String replay = curl("-X", "POST", "http://d/containers/" + n + "/attach?logs=1&stream=0&stdout=1");
    assertThat(replay).contains("before").doesNotContain("after");
    assertThat(replay.charAt(0)).as("a multiplexed frame for stdout").isEqualTo('\u0001');
    // logs=1&stream=1: the log, then the live output until the exit
    Process p = new ProcessBuilder("/usr/bin/curl", "-s", "--max-time", "60", "--unix-socket", berthd.socket().toString(),
        "-X", "POST", "http://d/containers/" + n + "/attach?logs=1&stream=1&stdout=1&stderr=1").start();
    Thread.sleep(1000);
    Files.writeString(go, "");
    String both = new String(p.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(both).contains("before").contains("after");
    assertThat(both.indexOf("before")).isLessThan(both.indexOf("after"));
    // bad detach keys: 400 naming them
    String bad = curl("-w", " %{http_code}", "-X", "POST", "http://d/containers/" + n + "/attach?stream=1&stdin=1&detachKeys=ctrl-zz");
    assertThat(bad).isEqualTo("{\"message\":\"Invalid detach keys (ctrl-zz) provided\"}\n 400");
  }

  /** Runs the docker CLI on a real pty (33x77); once {@code when} was printed, types {@code keys}; returns exit code and output. */
  static String[] onPty(String when, byte[] keys, String... args) throws Exception {
    Path script = berthd.tmp().resolve("drive_tty.py");
    Files.writeString(script, String.join("\n",
        "import os, pty, sys, time, select, fcntl, termios, struct",
        "keys = bytes.fromhex(sys.argv[1]); want = sys.argv[2].encode(); cmd = sys.argv[3:]",
        "pid, fd = pty.fork()",
        "if pid == 0:",
        "    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', 33, 77, 0, 0))",
        "    os.execvp(cmd[0], cmd)",
        "out = b''; deadline = time.time() + 90; sent = False; code = None",
        "while time.time() < deadline:",
        "    r, _, _ = select.select([fd], [], [], 0.2)",
        "    if r:",
        "        try:",
        "            d = os.read(fd, 4096)",
        "        except OSError:",
        "            d = b''",
        "        out += d",
        "    if not sent and want in out:",
        "        time.sleep(0.5)",
        "        for k in keys:",
        "            os.write(fd, bytes([k])); time.sleep(0.1)",
        "        sent = True",
        "    p, st = os.waitpid(pid, os.WNOHANG)",
        "    if p:",
        "        code = os.waitstatus_to_exitcode(st); break",
        "if code is None:",
        "    os.kill(pid, 9); os.waitpid(pid, 0)",
        "sys.stdout.write(str(code) + '\\n' + out.decode('utf-8', 'replace'))",
        ""));
    StringBuilder hex = new StringBuilder();
    for (byte b : keys) hex.append(String.format("%02x", b));
    List<String> cmd = new ArrayList<>(List.of("/usr/bin/python3", script.toString(), hex.toString(), when,
        TestBerthd.DOCKER.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("DOCKER_HOST", "unix://" + berthd.socket());
    pb.environment().put("DOCKER_CONFIG", berthd.tmp().resolve("docker-config").toString());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    return out.split("\n", 2);
  }

  @Test
  void runItDetachesWithCtrlPCtrlQAndAttachWithOwnKeys() throws Exception {
    String n = name("detach");
    String[] r = onPty("READY", new byte[] {0x10, 0x11}, "run", "-it", "--name", n, IMAGE, "sh", "-c",
        "stty size; echo READY; i=0; while true; do i=$((i+1)); echo tick-$i; sleep 0.3; done");
    assertThat(r[0]).as("docker run -it detached: %s", r.length > 1 ? r[1] : "").isEqualTo("0");
    assertThat(r[1]).as("ConsoleSize: the pty has the client's size").contains("33 77").contains("READY");
    assertThat(docker("inspect", "-f", "{{.State.Status}}", n).ok().out().trim()).as("left running").isEqualTo("running");
    // attach: live output, then its own detach key (ctrl-x)
    r = onPty("tick-", new byte[] {0x18}, "attach", "--detach-keys", "ctrl-x", n);
    assertThat(r[0]).as("attach ended by the detach key: %s", r.length > 1 ? r[1] : "").isNotEqualTo("None");
    assertThat(r[1]).as("live output").containsPattern("tick-\\d+");
    assertThat(docker("inspect", "-f", "{{.State.Status}}", n).ok().out().trim()).isEqualTo("running");
    docker("rm", "-f", n).ok();
  }

  @Test
  void nonTtyAttachGetsEveryByteOfALargeOutput() throws Exception {
    StringBuilder want = new StringBuilder();
    for (int i = 1; i <= 200000; i++) want.append(i).append('\n');
    for (int round = 0; round < 3; round++) {
      Ran r = docker("run", "--rm", IMAGE, "sh", "-c", "seq 1 200000; seq 1 20000 >&2");
      assertThat(r.code()).isZero();
      assertThat(r.out().length()).as("stdout bytes, round %d", round).isEqualTo(want.length());
      assertThat(r.out()).isEqualTo(want.toString());
      assertThat(r.err().lines().count()).isEqualTo(20000);
    }
  }
}
