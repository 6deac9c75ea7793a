package dev.berth.api.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.api.TestBerthd;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Issue 12's crash test: {@code docker run -d} and {@code docker rm -f} (the real CLI, several at
 * once) while berthd is killed with -9 at random points a few times and restarted at once. After
 * the last restart every container is whole or gone: each run the CLI acknowledged (and nobody
 * tried to remove) exists and still runs, each acknowledged rm is gone, and the kernel's view (state
 * dirs, cgroups, snapshot mounts, netns pins, veths, processes) matches the containers berthd lists
 * exactly; once all are removed, the leak counter reads 0. Prints how long each restart took to
 * serve. Operations, kills and clients: -Dberth.crash.ops (200), .kills (3), .clients (6).
 */
class CrashRecoveryIT {
  static final ObjectMapper M = new ObjectMapper();
  static final int OPS = Integer.getInteger("berth.crash.ops", 200);
  static final int KILLS = Integer.getInteger("berth.crash.kills", 3);
  static final int CLIENTS = Integer.getInteger("berth.crash.clients", 6);

  @Test
  void containersAreWholeOrGoneAfterKillNine() throws Exception {
    TestBerthd d = TestBerthd.start("crash-recovery");
    try {
      Leaks leaks = new Leaks(d);
      UnixHttp http = new UnixHttp(d.socket());
      Set<String> ackedRun = ConcurrentHashMap.newKeySet(), rmTried = ConcurrentHashMap.newKeySet(), ackedRm = ConcurrentHashMap.newKeySet();
      List<String> runs = Collections.synchronizedList(new ArrayList<>());
      AtomicInteger next = new AtomicInteger(), failed = new AtomicInteger();
      Object gate = new Object();
      boolean[] down = {false};
      List<Long> serveMs = Collections.synchronizedList(new ArrayList<>());
      // the kill points: one in each of KILLS equal slices of the operations, at a random place
      List<Integer> killAt = new ArrayList<>();
      for (int k = 0; k < KILLS; k++) killAt.add(OPS * k / KILLS + ThreadLocalRandom.current().nextInt(OPS / KILLS / 4 + 1, OPS / KILLS));

      ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
      for (int t = 0; t < CLIENTS; t++) {
        pool.submit(() -> {
          for (int i; (i = next.getAndIncrement()) < OPS; ) {
            synchronized (gate) {
              while (down[0]) gate.wait();
            }
            List<String> known;
            synchronized (runs) {
              known = runs.stream().filter(x -> !rmTried.contains(x)).toList();
            }
            ThreadLocalRandom r = ThreadLocalRandom.current();
            if (known.isEmpty() || r.nextInt(100) < 60) {
              TestBerthd.Ran ran = d.docker("run", "-d", TestBerthd.IMAGE, "sleep", "1000");
              if (ran.code() == 0) {
                String id = ran.out().strip();
                ackedRun.add(id);
                runs.add(id);
              } else {
                failed.incrementAndGet();
              }
            } else {
              String id = known.get(r.nextInt(known.size()));
              if (!rmTried.add(id)) continue;
              TestBerthd.Ran ran = d.docker("rm", "-f", id);
              if (ran.code() == 0) ackedRm.add(id);
              else failed.incrementAndGet();
            }
          }
          return null;
        });
      }
      pool.shutdown();
      for (int k : killAt) {
        while (next.get() < k && !pool.isTerminated()) Thread.sleep(20);
        Thread.sleep(ThreadLocalRandom.current().nextInt(50, 400)); // somewhere inside the operations under way
        synchronized (gate) {
          down[0] = true;
        }
        d.kill9();
        long t0 = System.nanoTime();
        d.restart();
        awaitPing(http);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        serveMs.add(ms);
        synchronized (gate) {
          down[0] = false;
          gate.notifyAll();
        }
      }
      assertThat(pool.awaitTermination(10, TimeUnit.MINUTES)).as("the clients finished").isTrue();
      // one more kill with nothing under way: the live restore itself
      d.kill9();
      long t0 = System.nanoTime();
      d.restart();
      awaitPing(http);
      serveMs.add((System.nanoTime() - t0) / 1_000_000);
      System.out.println("CrashRecoveryIT: " + OPS + " operations, " + ackedRun.size() + " runs and " + ackedRm.size()
          + " removes acknowledged, " + failed.get() + " interrupted; restart to serving (ms): " + serveMs);
      for (String l : d.log().split("\n")) if (l.contains("berthd: recovery")) System.out.println("  " + l);

      // every acknowledged run nobody tried to remove is there and runs; every acknowledged rm is gone
      for (String id : ackedRun) {
        if (rmTried.contains(id)) continue;
        JsonNode s = inspect(http, id);
        assertThat(s).as("acknowledged run %s exists", id).isNotNull();
        assertThat(s.path("State").path("Running").asBoolean()).as("%s runs: %s", id, s.path("State")).isTrue();
        assertThat(Path.of("/proc/" + s.path("State").path("Pid").asLong())).as("%s's init", id).exists();
      }
      for (String id : ackedRm) assertThat(inspect(http, id)).as("acknowledged rm %s is gone", id).isNull();

      // berthd's list matches the kernel's view: nothing half made, nothing half removed
      Set<String> all = new HashSet<>(), running = new HashSet<>();
      for (JsonNode c : M.readTree(http.get("/containers/json?all=1").text())) {
        String id = c.path("Id").asText();
        JsonNode s = inspect(http, id);
        assertThat(s).as("listed %s inspects", id).isNotNull();
        all.add(id);
        if (s.path("State").path("Running").asBoolean()) running.add(id);
        else assertThat(s.path("State").path("Status").asText()).as("%s", id).isIn("created", "exited");
      }
      assertThat(leaks.cgroups()).as("cgroups = running containers").isEqualTo(running);
      assertThat(listNames(d.tmp().resolve("run/runtime"))).as("runtime state = running containers").isEqualTo(running);
      assertThat(listNames(d.tmp().resolve("run/netns"))).as("netns pins = running containers").isEqualTo(running);
      assertThat(leaks.veths()).as("veths").hasSize(running.size());
      Set<String> mounted = new HashSet<>();
      for (String m : leaks.mounts()) {
        var x = java.util.regex.Pattern.compile("/containers/([0-9a-f]{64})/").matcher(m);
        if (x.find()) mounted.add(x.group(1));
      }
      assertThat(mounted).as("snapshot mounts = containers").isEqualTo(all);
      assertThat(listNames(d.tmp().resolve("lib/engine/containers"))).as("records = containers").isEqualTo(all);
      assertThat(leaks.processes()).as("processes: init, monitor and keeper per running container").hasSize(3 * running.size());

      // and once they are all removed, nothing is left
      for (String id : all) d.docker("rm", "-f", id).ok();
      Leaks.Counts c = awaitZero(leaks);
      System.out.println("CrashRecoveryIT: leak counter after removing all " + all.size() + " containers: " + c + " (total " + c.total() + ")");
      assertThat(c.total()).as("leaks: %s", c).isZero();
    } finally {
      try {
        for (String id : d.docker("ps", "-aq").out().split("\\s+")) if (!id.isBlank()) d.docker("rm", "-f", id);
      } finally {
        d.close();
      }
    }
  }

  /**
   * The two crash points a random kill rarely hits, made on disk while berthd is down: a create
   * that died after making its anonymous volume (no container.json, the {@code creating} mark), and
   * a remove with {@code -v} that died after its mark and its record were gone. Both containers and
   * both volumes are gone after the restart, with their snapshots; a third container is untouched;
   * a fourth, running, whose runtime state was deleted, is recorded as ended (255) and its monitor,
   * keeper and processes are gone.
   */
  @Test
  void interruptedCreateAndRemoveLeaveNoVolume() throws Exception {
    TestBerthd d = TestBerthd.start("crash-volumes");
    try {
      Leaks leaks = new Leaks(d);
      String[] ids = new String[3];
      String[] vols = new String[3];
      for (int i = 0; i < 3; i++) {
        ids[i] = d.docker("create", "-v", "/data", TestBerthd.IMAGE, "sleep", "1000").ok().out().strip();
        vols[i] = M.readTree(d.docker("inspect", ids[i]).ok().out()).get(0).path("Mounts").get(0).path("Name").asText();
        assertThat(vols[i]).as("anonymous volume of %s", ids[i]).isNotEmpty();
      }
      d.docker("start", ids[2]).ok();
      String lost = d.docker("run", "-d", TestBerthd.IMAGE, "sleep", "1000").ok().out().strip();
      d.kill9();
      // 3: a running container whose runtime state is lost (its monitor, keeper and init live on)
      new ProcessBuilder("rm", "-rf", d.tmp().resolve("run/runtime").resolve(lost).toString()).start().waitFor();
      Path dirs = d.tmp().resolve("lib/engine/containers");
      // 0: a create that died between its volume and its record
      Files.delete(dirs.resolve(ids[0]).resolve("container.json"));
      Files.writeString(dirs.resolve(ids[0]).resolve("creating"), vols[0] + "\n");
      // 1: rm -v that died after its mark, with the record deleted already
      Files.writeString(dirs.resolve(ids[1]).resolve("removing"), vols[1] + "\n");
      Files.delete(dirs.resolve(ids[1]).resolve("container.json"));
      d.restart();
      for (int i = 0; i < 2; i++) {
        assertThat(d.docker("inspect", ids[i]).code()).as("container %d gone", i).isNotZero();
        assertThat(d.docker("volume", "inspect", vols[i]).code()).as("volume %s of container %d gone", vols[i], i).isNotZero();
        assertThat(d.tmp().resolve("lib/volumes").resolve(vols[i])).doesNotExist();
        assertThat(dirs.resolve(ids[i])).doesNotExist();
        for (String m : leaks.mounts()) assertThat(m).doesNotContain(ids[i]);
      }
      assertThat(M.readTree(d.docker("inspect", ids[2]).ok().out()).get(0).path("State").path("Running").asBoolean()).isTrue();
      d.docker("volume", "inspect", vols[2]).ok();
      JsonNode ls = M.readTree(d.docker("inspect", lost).ok().out()).get(0).path("State");
      assertThat(ls.path("Running").asBoolean()).as("%s", ls).isFalse();
      assertThat(ls.path("ExitCode").asInt()).as("%s", ls).isEqualTo(255);
      assertThat(leaks.cgroups()).as("only the running container's cgroup").containsExactly(ids[2]);
      assertThat(leaks.processes()).as("init, monitor, keeper of the running container only").hasSize(3);
      assertThat(d.log()).contains("recovery: " + ids[0] + ": a create that did not finish", "recovery: " + ids[1] + ": finishing its removal");
      d.docker("rm", "-f", "-v", ids[2]).ok();
      d.docker("rm", "-f", lost).ok();
      assertThat(d.docker("volume", "inspect", vols[2]).code()).isNotZero();
      Leaks.Counts c = awaitZero(leaks);
      assertThat(c.total()).as("leaks: %s", c).isZero();
    } finally {
      try {
        for (String id : d.docker("ps", "-aq").out().split("\\s+")) if (!id.isBlank()) d.docker("rm", "-f", id);
      } finally {
        d.close();
      }
    }
  }

  static Leaks.Counts awaitZero(Leaks leaks) throws Exception {
    Leaks.Counts c = leaks.count();
    for (int i = 0; i < 100 && c.total() != 0; i++) {
      Thread.sleep(100);
      c = leaks.count();
    }
    return c;
  }

  static void awaitPing(UnixHttp http) throws Exception {
    for (int i = 0; i < 1200; i++) {
      try {
        if (http.get("/_ping").status() == 200) return;
      } catch (java.io.IOException notYet) {
        // not listening yet
      }
      Thread.sleep(25);
    }
    throw new AssertionError("berthd did not answer /_ping within 30 s of its restart");
  }

  /** The inspect document, or null on 404; anything else fails. */
  static JsonNode inspect(UnixHttp http, String id) throws Exception {
    UnixHttp.Response r = http.get("/containers/" + id + "/json");
    if (r.status() == 404) return null;
    assertThat(r.status()).as("inspect %s: %s", id, r.text()).isEqualTo(200);
    return M.readTree(r.body());
  }

  static Set<String> listNames(Path dir) {
    Set<String> out = new HashSet<>();
    for (Path p : Leaks.list(dir)) if (!p.getFileName().toString().startsWith(".")) out.add(p.getFileName().toString()); // not .cgroup-sweep, .seccomp-cache
    return out;
  }
}
