package dev.berth.api.volumes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.TestBerthd;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * docker events (since/until, filters, live, across a berthd restart), docker volume
 * create/ls/inspect/rm/prune, named and anonymous volumes of containers, docker system df —
 * through a berthd of the test's own with the real docker CLI.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EventsVolumesIT {
  static TestBerthd d;
  static final String IMG = TestBerthd.IMAGE;

  @BeforeAll
  static void start() throws Exception {
    d = TestBerthd.start("events");
  }

  @AfterAll
  static void stop() throws Exception {
    if (d != null) {
      d.docker("rm", "-f", "ev1", "live1", "writer", "reader", "anon1", "dfc", "user1");
      d.close();
    }
  }

  /** Epoch seconds, as the CLI sends them. */
  static String now() { return Long.toString(Instant.now().getEpochSecond()); }

  /** Waits past the current second: an until of "now" then covers everything done before (the CLI sends whole seconds). */
  static String untilNow() throws InterruptedException {
    Thread.sleep(1100);
    return now();
  }

  static List<String> events(String since, String until, String... filters) throws Exception {
    List<String> args = new ArrayList<>(List.of("events", "--since", since, "--until", until, "--format", "{{.Type}} {{.Action}} {{.Actor.ID}}"));
    for (String f : filters) {
      args.add("--filter");
      args.add(f);
    }
    return d.docker(args.toArray(String[]::new)).ok().out().lines().toList();
  }

  static String since;
  static String containerId;

  @Test
  @Order(1)
  void containerEventsWithSinceUntilAndFilters() throws Exception {
    since = Long.toString(Instant.now().getEpochSecond() - 1);
    containerId = d.docker("create", "--name", "ev1", "--label", "evtest=yes", IMG, "sh", "-c", "exit 3").ok().out().strip();
    d.docker("start", "-a", "ev1");
    d.docker("rm", "ev1").ok();
    String until = untilNow();
    List<String> byName = events(since, until, "container=ev1");
    assertThat(byName).containsExactly("container create " + containerId, "container start " + containerId,
        "container die " + containerId, "container destroy " + containerId);
    assertThat(events(since, until, "label=evtest=yes", "event=die")).containsExactly("container die " + containerId);
    assertThat(events(since, until, "container=ev1", "type=image")).isEmpty();
    // the JSON shape of API 1.50, with the legacy fields of container events
    String json = d.docker("events", "--since", since, "--until", until, "--filter", "container=ev1", "--filter", "event=die",
        "--format", "{{json .}}").ok().out().strip();
    assertThat(json).contains("\"status\":\"die\"", "\"id\":\"" + containerId + "\"", "\"from\":\"" + IMG + "\"",
        "\"Type\":\"container\"", "\"Action\":\"die\"", "\"exitCode\":\"3\"", "\"name\":\"ev1\"", "\"scope\":\"local\"", "\"timeNano\":");
    TestBerthd.Ran bad = d.docker("events", "--since", since, "--until", until, "--filter", "colour=red");
    assertThat(bad.code()).isNotZero();
    assertThat(bad.err()).contains("invalid filter 'colour'");
  }

  @Test
  @Order(2)
  void imageEvents() throws Exception {
    String s = now();
    String id = d.docker("image", "inspect", "-f", "{{.Id}}", IMG).ok().out().strip();
    d.docker("tag", IMG, "localhost/evtag:1").ok();
    d.docker("rmi", "localhost/evtag:1").ok();
    Path tar = d.tmp().resolve("saved.tar");
    d.docker("save", "-o", tar.toString(), IMG).ok();
    d.docker("load", "-i", tar.toString()).ok();
    String until = untilNow();
    assertThat(events(s, until, "type=image")).containsExactly("image tag " + id, "image untag " + id, "image save " + id,
        "image load " + id);
    assertThat(d.docker("events", "--since", s, "--until", until, "--filter", "event=tag", "--format", "{{.Actor.Attributes.name}}")
        .ok().out().strip()).isEqualTo("localhost/evtag:1");
  }

  @Test
  @Order(3)
  void liveEventsEndWithUntilAndStreamOtherwise() throws Exception {
    ProcessBuilder pb = new ProcessBuilder(TestBerthd.DOCKER.toString(), "events", "--filter", "container=live1", "--format", "{{.Action}}");
    pb.environment().put("DOCKER_HOST", "unix://" + d.socket());
    pb.environment().put("DOCKER_CONFIG", d.tmp().resolve("docker-config").toString());
    pb.redirectErrorStream(true);
    Process p = pb.start();
    try {
      Thread.sleep(2000); // the CLI subscribes before it prints anything
      d.docker("run", "--name", "live1", "--rm", IMG, "true").ok();
      List<String> got = new ArrayList<>();
      BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      String line;
      while (System.nanoTime() < deadline && (line = r.readLine()) != null) {
        got.add(line);
        if (line.equals("destroy")) break;
      }
      assertThat(got).containsExactly("create", "start", "die", "destroy");
      assertThat(p.isAlive()).as("the stream goes on without an until").isTrue();
    } finally {
      p.destroy();
      p.waitFor(10, TimeUnit.SECONDS);
    }
    // an until a few seconds ahead: the stream ends by itself then
    long t0 = System.nanoTime();
    TestBerthd.Ran r = d.docker("events", "--until", Long.toString(Instant.now().getEpochSecond() + 3), "--filter", "container=nothing-here");
    assertThat(r.code()).isZero();
    assertThat(System.nanoTime() - t0).isGreaterThan(TimeUnit.SECONDS.toNanos(1));
  }

  @Test
  @Order(4)
  void volumesOfContainersAndTheirEvents() throws Exception {
    String s = now();
    d.docker("volume", "create", "--label", "team=qa", "shared").ok();
    d.docker("run", "--name", "writer", "-v", "shared:/data", IMG, "sh", "-c", "echo persisted > /data/f").ok();
    d.docker("rm", "writer").ok();
    assertThat(d.docker("run", "--name", "reader", "--rm", "-v", "shared:/data:ro", IMG, "cat", "/data/f").ok().out().strip())
        .isEqualTo("persisted");
    // on demand, filled from the image's content at that path
    d.docker("run", "--rm", "-v", "ondemand:/bin", IMG, "true").ok();
    String mp = d.docker("volume", "inspect", "-f", "{{.Mountpoint}}", "ondemand").ok().out().strip();
    assertThat(Path.of(mp).resolve("busybox")).exists();
    // anonymous: -v /path and --mount without a source; rm -v removes them, named ones stay
    d.docker("create", "--name", "anon1", "-v", "/scratch", "--mount", "type=volume,target=/m2", "-v", "shared:/s", IMG, "true").ok();
    List<String> anon = List.of(d.docker("inspect", "-f", "{{range .Mounts}}{{if ne .Name \"shared\"}}{{.Name}} {{end}}{{end}}", "anon1")
        .ok().out().strip().split(" "));
    assertThat(anon).hasSize(2).allMatch(n -> n.matches("[0-9a-f]{64}"));
    assertThat(d.docker("volume", "ls", "-q").ok().out().lines().toList()).containsAll(anon);
    TestBerthd.Ran inUse = d.docker("volume", "rm", "shared");
    assertThat(inUse.code()).isNotZero();
    assertThat(inUse.err()).contains("volume is in use");
    d.docker("rm", "-v", "anon1").ok();
    assertThat(d.docker("volume", "ls", "-q").ok().out().lines().toList()).doesNotContainAnyElementsOf(anon).contains("shared", "ondemand");
    String until = untilNow();
    List<String> ev = events(s, until, "volume=shared");
    assertThat(ev).startsWith("volume create shared", "volume mount shared", "volume unmount shared");
    assertThat(ev).contains("volume mount shared");
  }

  @Test
  @Order(5)
  void volumeLsInspectRmPrune() throws Exception {
    d.docker("volume", "create", "keep1").ok();
    d.docker("volume", "create", "--label", "tier=x", "keep2").ok();
    assertThat(d.docker("volume", "ls", "-q", "--filter", "label=tier=x").ok().out().strip()).isEqualTo("keep2");
    assertThat(d.docker("volume", "ls", "-q", "--filter", "name=keep").ok().out().lines().toList()).containsExactlyInAnyOrder("keep1", "keep2");
    assertThat(d.docker("volume", "ls", "-q", "--filter", "dangling=true").ok().out().lines().toList()).contains("keep1", "keep2", "shared");
    assertThat(d.docker("volume", "inspect", "-f", "{{.Driver}} {{.Scope}} {{.Labels}}", "keep2").ok().out().strip())
        .isEqualTo("local local map[tier:x]");
    TestBerthd.Ran missing = d.docker("volume", "inspect", "no-such-vol");
    assertThat(missing.code()).isNotZero();
    assertThat(missing.err()).contains("no such volume");
    TestBerthd.Ran badName = d.docker("volume", "create", "b@d");
    assertThat(badName.code()).isNotZero();
    assertThat(badName.err()).contains("invalid characters");
    // an anonymous volume left unused: the default prune takes it, named ones only with --all
    d.docker("run", "--name", "user1", "-v", "/junk", IMG, "true").ok();
    String junk = d.docker("inspect", "-f", "{{range .Mounts}}{{.Name}}{{end}}", "user1").ok().out().strip();
    d.docker("rm", "user1").ok();
    String pruned = d.docker("volume", "prune", "-f").ok().out();
    assertThat(pruned).contains(junk).doesNotContain("keep1");
    assertThat(d.docker("volume", "prune", "-f", "--all", "--filter", "label=tier=x").ok().out()).contains("keep2").doesNotContain("keep1");
    d.docker("volume", "rm", "keep1").ok();
    assertThat(d.docker("volume", "ls", "-q").ok().out().lines().toList()).doesNotContain("keep1", "keep2", junk);
    assertThat(Files.exists(d.tmp().resolve("lib/volumes/keep1"))).isFalse();
  }

  @Test
  @Order(5)
  void localDriverOptionsTmpfsAndBind() throws Exception {
    d.docker("volume", "create", "--opt", "type=tmpfs", "--opt", "device=tmpfs", "--opt", "o=size=2m", "tmpv").ok();
    String mp = d.docker("volume", "inspect", "-f", "{{.Mountpoint}}", "tmpv").ok().out().strip();
    String df = d.docker("run", "--rm", "-v", "tmpv:/t", IMG, "sh", "-c", "echo x > /t/a && grep ' /t ' /proc/mounts").ok().out();
    assertThat(df).startsWith("tmpfs /t tmpfs").contains("size=2048k");
    assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).as("unmounted after its last user").doesNotContain(" " + mp + " ");
    assertThat(Path.of(mp).resolve("a")).doesNotExist();
    Path host = Files.createDirectories(d.tmp().resolve("bind-src"));
    Files.writeString(host.resolve("hello"), "from-the-host");
    d.docker("volume", "create", "--opt", "type=none", "--opt", "o=bind", "--opt", "device=" + host, "bindv").ok();
    assertThat(d.docker("run", "--rm", "-v", "bindv:/b", IMG, "cat", "/b/hello").ok().out()).isEqualTo("from-the-host");
    d.docker("volume", "rm", "bindv", "tmpv").ok();
    assertThat(host.resolve("hello")).as("a bind volume's removal never deletes the host's files").hasContent("from-the-host");
    TestBerthd.Ran bad = d.docker("volume", "create", "--opt", "colour=red", "badopt");
    assertThat(bad.code()).isNotZero();
    assertThat(bad.err()).contains("invalid option: \"colour\"");
    assertThat(d.docker("volume", "ls", "-q").ok().out().lines().toList()).doesNotContain("badopt", "bindv", "tmpv");
  }

  @Test
  @Order(6)
  void systemDfTellsTheTruth() throws Exception {
    d.docker("volume", "create", "dfvol").ok();
    d.docker("run", "--rm", "-v", "dfvol:/v", IMG, "dd", "if=/dev/zero", "of=/v/f", "bs=1000", "count=100").ok();
    d.docker("run", "--name", "dfc", IMG, "dd", "if=/dev/zero", "of=/big", "bs=1000", "count=200").ok();
    String out = d.docker("system", "df", "-v").ok().out();
    assertThat(out).containsPattern("dfvol\\s+0\\s+100kB");
    assertThat(out).containsPattern("\\s200kB\\s[^\\n]*dfc");
    String rows = d.docker("system", "df", "--format", "{{.Type}}={{.TotalCount}}").ok().out();
    int volumes = d.docker("volume", "ls", "-q").ok().out().lines().toList().size();
    int containers = d.docker("ps", "-aq").ok().out().lines().toList().size();
    assertThat(rows).contains("Local Volumes=" + volumes, "Containers=" + containers, "Images=1", "Build Cache=0");
    String json = d.docker("system", "df", "-v", "--format", "{{json .}}").ok().out();
    assertThat(json).contains("\"Name\":\"dfvol\"");
    d.docker("rm", "dfc").ok();
  }

  @Test
  @Order(7)
  void eventsReplayAfterABerthdRestart() throws Exception {
    String until = untilNow();
    List<String> before = events(since, until, "container=ev1");
    d.kill9();
    d.restart();
    assertThat(events(since, until, "container=ev1")).isEqualTo(before).hasSize(4);
    assertThat(events(since, until, "volume=shared")).startsWith("volume create shared");
    // and the volumes are all still there
    assertThat(d.docker("volume", "ls", "-q").ok().out().lines().toList()).contains("shared", "ondemand", "dfvol");
    assertThat(d.docker("run", "--rm", "-v", "shared:/data", IMG, "cat", "/data/f").ok().out().strip()).isEqualTo("persisted");
  }

  @Test
  @Order(8)
  void execEventsOncePerExecHealthProbesIncluded() throws Exception {
    String s = now();
    d.docker("run", "-d", "--name", "hc1", "--health-cmd", "true", "--health-interval", "1s", IMG, "sleep", "600").ok();
    try {
      for (int i = 0; i < 600 && !d.docker("inspect", "-f", "{{.State.Health.Status}}", "hc1").ok().out().strip().equals("healthy"); i++) {
        Thread.sleep(100);
      }
      d.docker("exec", "hc1", "sh", "-c", "exit 4");
      String until = untilNow();
      List<String> ev = d.docker("events", "--since", s, "--until", until, "--filter", "container=hc1", "--filter", "event=exec_create",
          "--filter", "event=exec_start", "--filter", "event=exec_die", "--format", "{{.Action}}|{{.Actor.Attributes.execID}}|{{.Actor.Attributes.exitCode}}")
          .ok().out().lines().toList();
      assertThat(ev).contains("exec_create: sh -c exit 4|" + execId(ev, "exec_create: sh -c exit 4") + "|<no value>",
          "exec_die|" + execId(ev, "exec_create: sh -c exit 4") + "|4");
      // every exec (the health probes' as well): one create, one start, one die
      java.util.Map<String, List<String>> byExec = new java.util.HashMap<>();
      for (String l : ev) {
        String[] f = l.split("\\|", -1);
        byExec.computeIfAbsent(f[1], k -> new ArrayList<>()).add(f[0].replaceFirst(":.*", ""));
      }
      assertThat(byExec.size()).isGreaterThanOrEqualTo(2);
      byExec.forEach((id, actions) -> {
        if (actions.contains("exec_die")) assertThat(actions).as(id).containsExactly("exec_create", "exec_start", "exec_die");
        else assertThat(actions).as(id).containsExactly("exec_create", "exec_start"); // a probe still running at until
      });
      assertThat(d.docker("events", "--since", s, "--until", until, "--filter", "container=hc1", "--filter", "event=health_status",
          "--format", "{{.Action}}").ok().out().lines().toList()).contains("health_status: healthy");
    } finally {
      d.docker("rm", "-f", "hc1");
    }
  }

  static String execId(List<String> lines, String action) {
    for (String l : lines) if (l.startsWith(action + "|")) return l.split("\\|", -1)[1];
    throw new AssertionError("no " + action + " in " + lines);
  }
}
