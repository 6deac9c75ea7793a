package dev.berth.api.networks;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.api.TestBerthd;
import dev.berth.api.http.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Many container lifetimes on a user network with a published port ({@code -Dberth.leak.cycles}:
 * default 80, to keep CI near two minutes on a loaded host; 200 for the figure; four at a
 * time), three containers whose monitor is killed with SIGKILL, a kill -9 of berthd while lifetimes are in flight and a restart: afterwards this berthd has no veth, address,
 * packet rule or namespace pin that no container owns. Only this berthd's own names are looked at.
 */
class NetworkLeakIT {
  static final int CYCLES = Integer.getInteger("berth.leak.cycles", 80);
  static final int PARALLEL = 4;
  static TestBerthd d;
  static final String IMG = TestBerthd.IMAGE;

  @BeforeAll
  static void start() throws Exception {
    d = TestBerthd.start("netleak");
  }

  @AfterAll
  static void stop() throws Exception {
    if (d != null) d.close();
  }

  @Test
  void noVethAddressRuleOrPinOutlivesItsContainer() throws Exception {
    long t0 = System.nanoTime();
    String net = "leak" + Long.toHexString(System.nanoTime() & 0xffffffL);
    String netId = d.docker("network", "create", net).ok().out().strip();
    String bridge = "br-" + netId.substring(0, 12);
    AtomicBoolean sampling = new AtomicBoolean(true);
    Thread sampler = Thread.ofPlatform().daemon().start(() -> {
      while (sampling.get()) {
        d.leftovers().sample(); // learns every veth the lifetimes make
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          return;
        }
      }
    });
    ExecutorService pool = Executors.newFixedThreadPool(PARALLEL);
    try {
      lifetimes(pool, net, CYCLES / 2, true);
      long t1 = System.nanoTime();

      // three containers whose monitor dies by SIGKILL
      List<String> orphans = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        String id = d.docker("run", "-d", "--network", net, "-p", "80", IMG, "sleep", "300").ok().out().strip();
        orphans.add(id);
        Path rec = d.tmp().resolve("run/runtime/" + id + "/monitor");
        String pid = Files.readString(rec).strip().split("\\s+")[0];
        assertThat(new ProcessBuilder("kill", "-9", pid).start().waitFor()).isZero();
      }
      // berthd killed while lifetimes are in flight (their outcome does not matter), then restarted
      List<Future<TestBerthd.Ran>> inFlight = new ArrayList<>();
      for (int i = 0; i < PARALLEL; i++) inFlight.add(pool.submit(() -> d.docker("run", "--rm", "--network", net, "-p", "80", IMG, "sleep", "1")));
      Thread.sleep(1500);
      d.kill9();
      for (Future<TestBerthd.Ran> f : inFlight) f.get(180, TimeUnit.SECONDS);
      d.restart();
      long t2 = System.nanoTime();

      lifetimes(pool, net, CYCLES - CYCLES / 2, true);
      long t3 = System.nanoTime();
      System.out.printf("NetworkLeakIT: %d lifetimes (%d at a time): %.1f s + %.1f s (%.0f ms each, wall); kill -9 and restart: %.1f s%n",
          CYCLES, PARALLEL, (t1 - t0) / 1e9, (t3 - t2) / 1e9, (t1 - t0 + t3 - t2) / 1e6 / CYCLES, (t2 - t1) / 1e9);

      // what still runs after the restart (the killed monitors' containers, in-flight ones) goes now
      String left = d.docker("ps", "-aq").ok().out().strip();
      if (!left.isEmpty()) {
        List<String> rm = new ArrayList<>(List.of("rm", "-f"));
        rm.addAll(List.of(left.split("\\s+")));
        d.docker(rm.toArray(String[]::new)).ok();
      }
    } finally {
      pool.shutdownNow();
      sampling.set(false);
      sampler.join();
    }
    d.leftovers().sample();
    List<String> leaks = new ArrayList<>();
    // veths: none on this berthd's bridges, none of those seen during the run
    for (String b : List.of(bridge, d.net().bridge())) {
      Path brif = Path.of("/sys/class/net", b, "brif");
      assertThat(brif).as("bridge %s", b).isDirectory();
      try (var ds = Files.list(brif)) {
        ds.forEach(p -> leaks.add("veth " + p.getFileName() + " on " + b));
      }
    }
    for (String v : d.leftovers().veths()) if (Files.exists(Path.of("/sys/class/net", v))) leaks.add("veth " + v);
    // addresses: no allocation in any IPAM file
    Path ipam = d.tmp().resolve("lib/network/ipam");
    if (Files.isDirectory(ipam)) {
      try (var ds = Files.list(ipam)) {
        for (Path f : ds.toList()) {
          JsonNode a = Json.MAPPER.readTree(Files.readString(f));
          a.fieldNames().forEachRemaining(addr -> leaks.add("address " + addr + " in " + f.getFileName() + " (owner " + a.get(addr) + ")"));
        }
      }
    }
    // packet rules: no published-port element; per-network chains for its two networks only
    String table = IsolationIT.sh("nft", "list", "table", "inet", d.net().nftTable());
    for (String map : List.of("pub4", "pub6")) {
      String m = IsolationIT.sh("nft", "list", "map", "inet", d.net().nftTable(), map);
      if (m.contains("elements")) leaks.add("nft " + map + ": " + m.strip());
    }
    var chains = java.util.regex.Pattern.compile("chain fwd-in-(\\S+)").matcher(table);
    while (chains.find()) {
      if (!chains.group(1).equals(bridge) && !chains.group(1).equals(d.net().bridge())) leaks.add("nft chain fwd-in-" + chains.group(1));
    }
    // namespace pins and endpoint records
    for (String dir : List.of("run/netns", "lib/network/endpoints")) {
      Path p = d.tmp().resolve(dir);
      if (Files.isDirectory(p)) {
        try (var ds = Files.list(p)) {
          ds.forEach(x -> leaks.add(dir + "/" + x.getFileName()));
        }
      }
    }
    assertThat(leaks).as("left by %d lifetimes, 3 killed monitors and a berthd kill -9 + restart (log:%n%s)", CYCLES, tail(d.log()))
        .isEmpty();
    assertThat(d.leftovers().veths()).as("the sampler saw the lifetimes' veths").isNotEmpty();
    System.out.printf("NetworkLeakIT: whole test %.1f s, %d veths seen%n", (System.nanoTime() - t0) / 1e9, d.leftovers().veths().size());
    d.docker("network", "rm", net).ok();
  }

  /** {@code n} lifetimes of {@code run --rm} on {@code net} with a published port, {@link #PARALLEL} at a time; each must succeed. */
  static void lifetimes(ExecutorService pool, String net, int n, boolean mustSucceed) throws Exception {
    List<Future<TestBerthd.Ran>> fs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      fs.add(pool.submit(() -> d.docker("run", "--rm", "--network", net, "-p", "80", IMG, "true")));
    }
    for (Future<TestBerthd.Ran> f : fs) {
      TestBerthd.Ran r = f.get(10, TimeUnit.MINUTES);
      if (mustSucceed) r.ok();
    }
  }

  static String tail(String s) {
    return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
  }
}
