package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code bin/berth bench --quick --only cpu,start} for real (sysbench natively and in a berth
 * container; berth-runc, runc and the other start peers), then its report rendered by headless
 * Chromium (Debian's chromium): the plots must be laid out by the browser, not just present in
 * the file.
 */
class BenchIT {
  static final Path BERTH = Runc.REPO.resolve("bin/berth");
  Path tmp;

  @BeforeEach
  void tmp() throws Exception { tmp = Files.createTempDirectory("berth-bench-it"); }

  @AfterEach
  void clean() throws Exception { new ProcessBuilder("rm", "-rf", tmp.toString()).start().waitFor(60, TimeUnit.SECONDS); }

  record Out(int exit, String out, String err) {}

  Out run(long seconds, List<String> cmd) throws Exception {
    Path o = tmp.resolve("out-" + System.nanoTime()), e = tmp.resolve("err-" + System.nanoTime());
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(o.toFile()).redirectError(e.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().put("HOME", tmp.toString());   // chromium writes its profile and crash dirs under HOME
    Process p = pb.start();
    if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      throw new AssertionError("no exit within " + seconds + " s: " + cmd + "\n" + Files.readString(o) + Files.readString(e));
    }
    return new Out(p.exitValue(), Files.readString(o), Files.readString(e));
  }

  @Test
  void quickCpuAndStartThenTheReportRendersInChromium() throws Exception {
    assertThat(Path.of("/usr/bin/sysbench")).as("sysbench missing: run scripts/install-deps.sh").exists();
    String chromium = Files.isExecutable(Path.of("/usr/bin/chromium")) ? "/usr/bin/chromium" : null;
    assertThat(chromium).as("Debian's chromium is missing: run scripts/install-deps.sh").isNotNull();
    Path out = tmp.resolve("report");

    Out b = run(300, List.of(BERTH.toString(), "bench", "--quick", "--only", "cpu,start", "--out", out.toString()));
    assertThat(b.exit()).as("bench: %s%s", b.out(), b.err()).isZero();
    assertThat(b.out()).contains("[1/2] cpu …", "[2/2] start …", "[1/2] cpu: ok", "[2/2] start: ok", "container / native", "report: " + out.resolve("report.html"));
    Matcher w = Pattern.compile("work directory: (\\S+)").matcher(b.out());
    assertThat(w.find()).isTrue();
    assertThat(Path.of(w.group(1))).as("the work directory is removed").doesNotExist();
    assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(w.group(1));

    JsonNode j = new ObjectMapper().readTree(out.resolve("bench.json").toFile());
    assertThat(j.get("machine").get("cores").asInt()).isPositive();
    assertThat(j.get("loadBefore")).hasSize(3);
    JsonNode cpu = j.get("phases").get(0);
    assertThat(cpu.get("phase").asText()).isEqualTo("cpu");
    assertThat(cpu.get("status").asText()).isEqualTo("ok");
    JsonNode cf = cpu.get("figures").get(0);
    assertThat(cf.get("runs").asInt()).isEqualTo(3);
    for (JsonNode s : cf.get("series")) {
      assertThat(s.get("samples")).hasSize(3);
      for (JsonNode v : s.get("samples")) assertThat(v.asDouble()).as(s.get("label").asText()).isPositive();
      assertThat(s.get("command").asText()).contains("sysbench cpu");
    }
    assertThat(cf.get("series").get(1).get("command").asText()).contains("bin/berth-runc run");
    double ratio = cf.get("ratios").get(0).get("summary").get("median").asDouble();
    assertThat(ratio).as("container/native cpu ratio").isBetween(0.05, 20.0);

    JsonNode start = j.get("phases").get(1);
    assertThat(start.get("status").asText()).isEqualTo("ok");
    List<String> labels = new ArrayList<>();
    for (JsonNode s : start.get("figures").get(0).get("series")) {
      labels.add(s.get("label").asText());
      assertThat(s.get("samples")).hasSize(10);
      assertThat(s.get("summary").get("median").asDouble()).isPositive();
    }
    assertThat(labels).contains("berth-runc run", "runc run", "kernel floor (unshare)");
    // every peer is either measured or skipped with a reason
    String skipped = start.get("skipped").toString();
    for (String peer : List.of("crun", "podman", "dockerd", "berthd"))
      assertThat(labels.stream().anyMatch(l -> l.contains(peer)) || skipped.contains(peer)).as(peer + " measured or skipped: " + skipped).isTrue();

    // Rendered by a real browser: the page's own script counts the plots laid out with a non-empty box.
    Out dom = run(120, List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + tmp.resolve("chromium"),
        "--dump-dom", out.resolve("report.html").toUri().toString()));
    assertThat(dom.exit()).as("chromium: %s", dom.err()).isZero();
    assertThat(dom.out()).contains("<svg class=\"plot\" id=\"plot-cpu\" data-kind=\"ratio\"", "<svg class=\"plot\" id=\"plot-start\" data-kind=\"cdf\"");
    assertThat(dom.out()).contains("<svg class=\"plot\" id=\"plot-cpu-jvm\" data-kind=\"ratio\"");
    assertThat(dom.out()).contains("data-rendered-plots=\"3\"");   // sysbench cpu, the JVM workload, start
    Out shot = run(120, List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + tmp.resolve("chromium2"),
        "--window-size=900,1600", "--screenshot=" + tmp.resolve("report.png"), out.resolve("report.html").toUri().toString()));
    assertThat(shot.exit()).as("chromium screenshot: %s", shot.err()).isZero();
    assertThat(Files.size(tmp.resolve("report.png"))).as("a screenshot with content").isGreaterThan(20_000);
  }

  /** The JVM workload (cpu) and the TCP request/response test (net): every sample measured, with its command. */
  @Test
  void quickCpuAndNetCarryTheJvmWorkloadAndTheTcpLatency() throws Exception {
    assertThat(Path.of("/usr/bin/iperf3")).as("iperf3 missing: run scripts/install-deps.sh").exists();
    assertThat(Path.of("/usr/lib/jvm/temurin-25-jdk-amd64/bin/javac")).as("Temurin 25 JDK missing").exists();
    Path out = tmp.resolve("report");
    Out b = run(300, List.of(BERTH.toString(), "bench", "--quick", "--only", "cpu,net", "--out", out.toString()));
    assertThat(b.exit()).as("bench: %s%s", b.out(), b.err()).isZero();
    assertThat(b.out()).contains("[1/2] cpu: ok", "[2/2] net: ok", "jvm round 3/3", "rr round 3/3");
    JsonNode j = new ObjectMapper().readTree(out.resolve("bench.json").toFile());

    JsonNode jvm = figure(j.get("phases").get(0), "cpu-jvm");
    assertThat(jvm.get("runs").asInt()).isEqualTo(3);
    assertThat(labels(jvm)).containsExactly("native (JVM)", "berth container (JVM)");
    assertSamples(jvm, 3, "BenchProbe cpu");
    assertThat(jvm.get("series").get(0).get("command").asText()).contains("/bin/java ");
    assertThat(jvm.get("series").get(1).get("command").asText()).contains("bin/berth-runc run", "BenchProbe cpu");
    assertThat(jvm.get("ratios").get(0).get("summary").get("median").asDouble()).as("JVM container/native").isBetween(0.05, 20.0);

    JsonNode rr = figure(j.get("phases").get(1), "net-rr");
    assertThat(rr.get("runs").asInt()).isEqualTo(3);
    assertThat(labels(rr)).containsExactly("host loopback p50", "container → host p50", "host loopback p99", "container → host p99",
        "host loopback round trips/s", "container → host round trips/s");
    assertSamples(rr, 3, "BenchProbe client");
    assertThat(rr.get("series").get(0).get("command").asText()).contains("client 127.0.0.1 ");
    assertThat(rr.get("series").get(1).get("command").asText()).contains("bin/berth-runc run (netns ");
    for (int side = 0; side < 2; side++)   // each round's p50 is at most its p99
      for (int i = 0; i < 3; i++)
        assertThat(rr.get("series").get(side).get("samples").get(i).asDouble()).isLessThanOrEqualTo(rr.get("series").get(side + 2).get("samples").get(i).asDouble());
    assertThat(rr.get("ratios")).hasSize(3);
    // the net phase's iperf3 figure is still there
    assertThat(figure(j.get("phases").get(1), "net").get("series")).hasSize(2);
  }

  static JsonNode figure(JsonNode phase, String id) {
    assertThat(phase.get("status").asText()).as(phase.toString()).isEqualTo("ok");
    for (JsonNode f : phase.get("figures")) if (f.get("id").asText().equals(id)) return f;
    throw new AssertionError("no figure " + id + " in " + phase);
  }

  static List<String> labels(JsonNode f) {
    List<String> l = new ArrayList<>();
    for (JsonNode s : f.get("series")) l.add(s.get("label").asText());
    return l;
  }

  static void assertSamples(JsonNode f, int n, String command) {
    for (JsonNode s : f.get("series")) {
      assertThat(s.get("samples")).as(s.get("label").asText()).hasSize(n);
      for (JsonNode v : s.get("samples")) assertThat(v.asDouble()).as(s.get("label").asText()).isPositive();
      assertThat(s.get("command").asText()).as(s.get("label").asText()).contains(command);
    }
  }

  @Test
  void anUnknownPhaseIsRefusedNamingIt() throws Exception {
    Out b = run(120, List.of(BERTH.toString(), "bench", "--only", "cpu,gpu", "--out", tmp.resolve("x").toString()));
    assertThat(b.exit()).isEqualTo(2);
    assertThat(b.err()).contains("unknown phase 'gpu'").contains("cpu, memory, disk, net, start, density, elasticity");
    assertThat(tmp.resolve("x")).doesNotExist();
  }
}
