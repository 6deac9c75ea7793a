package dev.berth.api.containers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import dev.berth.api.TestBerthd;
import dev.berth.api.TestBerthd.Ran;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * docker stats through a berthd started by bin/berthd (own socket, --root, --exec-root and cgroup
 * parent), driven by the real docker CLI and docker-py (Debian's python3-docker); the image is
 * scripts/mk-oci-image.sh's busybox, loaded into the test's store with berth-image.
 */
class StatsIT {
  static final Path REPO = TestBerthd.REPO;
  static final String IMAGE = TestBerthd.IMAGE;
  static final long LIMIT = 64L * 1024 * 1024;
  static final String C1 = "stats-c1-" + ProcessHandle.current().pid(), STOPPED = "stats-stopped-" + ProcessHandle.current().pid();
  static TestBerthd berthd;
  static Path tmp;
  static Path socket;

  @BeforeAll
  static void start() throws Exception {
    berthd = TestBerthd.start("stats");
    tmp = berthd.tmp();
    socket = berthd.socket();
    docker("run", "-d", "--name", C1, "--memory", Long.toString(LIMIT), IMAGE, "sleep", "600").ok();
    docker("run", "-d", "--name", STOPPED, IMAGE, "true").ok();
    docker("wait", STOPPED).ok();
  }

  @AfterAll
  static void stop() throws Exception {
    if (berthd != null) {
      docker("rm", "-f", C1, STOPPED);
      berthd.close();
    }
  }

  static Ran docker(String... args) throws Exception {
    return berthd.docker(args);
  }

  static Ran dockerIn(String stdin, String... args) throws Exception {
    return berthd.dockerIn(stdin, args);
  }

  /** A python3 snippet (docker-py) against the test's berthd; prints what it prints. */
  static String py(String code) throws Exception {
    ProcessBuilder pb = new ProcessBuilder("python3", "-c", "import docker, json, sys\nc = docker.DockerClient(base_url='unix://" + socket + "')\n" + code);
    pb.redirectErrorStream(true);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(120, TimeUnit.SECONDS)) fail("python timed out");
    if (p.exitValue() != 0) fail("python: " + out);
    return out;
  }

  @Test
  void networksCountEachInterfacesTrafficAsTheContainerSeesIt() throws Exception {
    String gw = berthd.net().bip().replace("/24", "");
    // the container's own view of eth0 first: the stats (the host end, swapped) can only be at or above it
    String inside = docker("exec", C1, "sh", "-c", "cd /sys/class/net/eth0/statistics && cat rx_packets tx_packets rx_bytes tx_bytes").ok().out();
    long[] in = java.util.Arrays.stream(inside.strip().split("\\s+")).mapToLong(Long::parseLong).toArray();
    String before = py("s = c.api.stats('" + C1 + "', stream=False, one_shot=True)['networks']\n"
        + "print(sorted(s), sorted(s['eth0']), s['eth0']['rx_packets'], s['eth0']['tx_packets'], s['eth0']['rx_bytes'], s['eth0']['tx_bytes'])");
    String[] b = before.strip().split(" (?=\\d)");
    assertThat(b[0]).isEqualTo("['eth0'] ['rx_bytes', 'rx_dropped', 'rx_errors', 'rx_packets', 'tx_bytes', 'tx_dropped', 'tx_errors', 'tx_packets']");
    long rxP = Long.parseLong(b[1]), txP = Long.parseLong(b[2]), rxB = Long.parseLong(b[3]), txB = Long.parseLong(b[4]);
    assertThat(new long[] {rxP, txP, rxB, txB}).as("stats %s against the container's own counters %s", before, inside)
        .satisfies(x -> {
          for (int i = 0; i < 4; i++) assertThat(x[i]).isGreaterThanOrEqualTo(in[i]);
        });
    docker("exec", C1, "ping", "-c", "3", "-s", "1000", "-W", "5", gw).ok();
    String after = py("s = c.api.stats('" + C1 + "', stream=False, one_shot=True)['networks']['eth0']\n"
        + "print(s['rx_packets'], s['tx_packets'], s['tx_bytes'])");
    long[] a = java.util.Arrays.stream(after.strip().split(" ")).mapToLong(Long::parseLong).toArray();
    assertThat(a[0] - rxP).as("echo replies received").isGreaterThanOrEqualTo(3);
    assertThat(a[1] - txP).as("echo requests sent").isGreaterThanOrEqualTo(3);
    assertThat(a[2] - txB).as("bytes sent (3 x 1000-byte payloads)").isGreaterThanOrEqualTo(3000);
    // docker stats' NET I/O column is no longer empty; a stopped container has no networks
    String netIo = docker("stats", "--no-stream", "--format", "{{.NetIO}}", C1).ok().out().strip();
    assertThat(netIo).matches("[0-9.]+[kMG]?B / [0-9.]+[kMG]?B").isNotEqualTo("0B / 0B");
    assertThat(py("print('networks' in c.api.stats('" + STOPPED + "', stream=False))").strip()).isEqualTo("False");
    // --network none: no interface to count
    String none = docker("run", "-d", "--network", "none", IMAGE, "sleep", "60").ok().out().strip();
    try {
      assertThat(py("print('networks' in c.api.stats('" + none + "', stream=False, one_shot=True))").strip()).isEqualTo("False");
    } finally {
      docker("rm", "-f", none);
    }
  }

  @Test
  void cliStatsNoStream() throws Exception {
    String out = docker("stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}} {{.PIDs}}", C1).ok().out().strip();
    // e.g. "stats-c1-123 220KiB / 64MiB 1"
    var m = java.util.regex.Pattern.compile("(\\S+) ([0-9.]+)([KMG]i?B|B) / 64MiB (\\d+)").matcher(out);
    assertThat(m.matches()).as("docker stats printed: %s", out).isTrue();
    assertThat(m.group(1)).isEqualTo(C1);
    assertThat(Double.parseDouble(m.group(2))).isPositive();
    assertThat(Integer.parseInt(m.group(4))).isGreaterThanOrEqualTo(1);
  }

  @Test
  void apiStreamFalse() throws Exception {
    String out = py("s = c.api.stats('" + C1 + "', stream=False)\n"
        + "print(s['memory_stats']['limit'], s['memory_stats']['usage'] > 0, s['pids_stats']['current'], s['name'], s['id'] == c.containers.get('" + C1 + "').id,"
        + " s['cpu_stats']['cpu_usage']['total_usage'] > 0, s['cpu_stats']['online_cpus'] > 0, s['precpu_stats']['system_cpu_usage'] > 0)");
    assertThat(out.strip()).isEqualTo(LIMIT + " True 1 /" + C1 + " True True True True");
    String oneShot = py("s = c.api.stats('" + C1 + "', stream=False, one_shot=True)\n"
        + "print(s['memory_stats']['limit'], s['preread'], s['precpu_stats']['cpu_usage']['total_usage'])");
    assertThat(oneShot.strip()).isEqualTo(LIMIT + " 0001-01-01T00:00:00Z 0");
  }

  @Test
  void streamSendsObjectsAndStoppedGivesZeros() throws Exception {
    // two streamed objects, then the client goes away
    String out = py("g = c.api.stats('" + C1 + "', stream=True, decode=True)\n"
        + "a = next(g); b = next(g)\n"
        + "print(a['memory_stats']['limit'], b['precpu_stats']['cpu_usage']['total_usage'] == a['cpu_stats']['cpu_usage']['total_usage'], b['preread'] == a['read'])");
    assertThat(out.strip()).isEqualTo(LIMIT + " True True");
    String stopped = py("s = c.api.stats('" + STOPPED + "', stream=False)\n"
        + "print(s['read'], s['memory_stats'], s['cpu_stats']['cpu_usage']['total_usage'], s['name'])");
    assertThat(stopped.strip()).isEqualTo("0001-01-01T00:00:00Z {} 0 /" + STOPPED);
    // a stream on a stopped container ends after its one zero object
    String streamed = py("print(len(list(c.api.stats('" + STOPPED + "', stream=True, decode=True))))");
    assertThat(streamed.strip()).isEqualTo("1");
    Ran unknown = docker("stats", "--no-stream", "no-such-container-here");
    assertThat(unknown.code()).isNotZero();
    assertThat(unknown.err()).contains("No such container: no-such-container-here");
  }
}
