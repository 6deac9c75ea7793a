package dev.berth.api.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.api.TestBerthd;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

/**
 * Issue 12's concurrency test: 50 clients (threads, raw HTTP over berthd's unix socket) each
 * creating, starting, inspecting, reading the logs of, stopping and removing containers — and
 * inspecting and reading the logs of the others' — for a while (-Dberth.concurrency.seconds, 60 by
 * default; -Dberth.concurrency.clients, 50). Every request is answered with the status Docker
 * gives (no 500), no container is lost or listed twice, nothing deadlocks (past the bound berthd's
 * thread dump is printed and the test fails), and at the end the leak counter reads 0.
 */
class ConcurrencyIT {
  static final ObjectMapper M = new ObjectMapper();
  static final int CLIENTS = Integer.getInteger("berth.concurrency.clients", 50);
  static final long SECONDS = Long.getLong("berth.concurrency.seconds", 60);
  static final String U = "cc" + ProcessHandle.current().pid() + "-";

  @Test
  void fiftyClientsAtOnce() throws Exception {
    TestBerthd d = TestBerthd.start("concurrency");
    Leaks leaks = new Leaks(d);
    try {
      UnixHttp http = new UnixHttp(d.socket());
      long pid = leaks.berthdPid();
      int fds0 = leaks.fds(pid);
      Set<String> created = ConcurrentHashMap.newKeySet(), removed = ConcurrentHashMap.newKeySet();
      List<String> createdInOrder = java.util.Collections.synchronizedList(new ArrayList<>());
      ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
      Map<String, LongAdder> calls = new ConcurrentHashMap<>();
      AtomicInteger cycles = new AtomicInteger();
      long end = System.nanoTime() + SECONDS * 1_000_000_000L;

      ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
      for (int t = 0; t < CLIENTS; t++) {
        int client = t;
        pool.submit(() -> {
          for (int n = 0; System.nanoTime() < end && errors.size() < 20; n++) {
            try {
              cycle(http, U + client + "-" + n, created, createdInOrder, removed, calls, errors);
              cycles.incrementAndGet();
            } catch (Exception e) {
              errors.add(U + client + "-" + n + ": " + e);
            }
          }
          return null;
        });
      }
      pool.shutdown();
      // the bound: the run, then 3 minutes for the last cycles (a stop waits 1 s, a busy host more)
      if (!pool.awaitTermination(SECONDS + 180, TimeUnit.SECONDS)) {
        System.out.println("ConcurrencyIT: clients still busy past the bound; berthd's threads:\n" + Jcmd.threads(pid));
        fail("deadlock? " + CLIENTS + " clients not done " + (SECONDS + 180) + " s after start (berthd's thread dump above)");
      }
      System.out.println("ConcurrencyIT: " + CLIENTS + " clients, " + SECONDS + " s, " + cycles.get() + " create/start/inspect/logs/stop/rm cycles, calls " + calls);
      assertThat(errors).as("unexpected answers").isEmpty();
      assertThat(cycles.get()).as("cycles completed").isPositive();
      // no lost or duplicate container: every acknowledged create once, every one removed
      assertThat(createdInOrder).as("ids unique").doesNotHaveDuplicates();
      assertThat(removed).as("every created container removed").isEqualTo(created);
      JsonNode left = M.readTree(http.get("/containers/json?all=1").text());
      assertThat(left).as("containers left").isEmpty();
      Leaks.Counts c = CrashRecoveryIT.awaitZero(leaks);
      System.out.println("ConcurrencyIT: leak counter: " + c + "; berthd fds " + fds0 + " -> " + leaks.fds(pid) + ", threads " + leaks.threads(pid));
      assertThat(c.total()).as("leaks: %s", c).isZero();
    } finally {
      try {
        for (String id : d.docker("ps", "-aq").out().split("\\s+")) if (!id.isBlank()) d.docker("rm", "-f", id);
      } finally {
        d.close();
      }
    }
  }

  /** One container's life, plus a look at someone else's; any answer Docker would not give is an error. */
  static void cycle(UnixHttp http, String name, Set<String> created, List<String> createdInOrder, Set<String> removed,
      Map<String, LongAdder> calls, ConcurrentLinkedQueue<String> errors) throws Exception {
    String body = "{\"Image\":\"" + TestBerthd.IMAGE + "\",\"Cmd\":[\"sh\",\"-c\",\"echo out-" + name + "; sleep 1000\"]}";
    UnixHttp.Response r = call(http, "create", "POST", "/containers/create?name=" + name, body, calls, errors, 201);
    if (r == null) return;
    String id = M.readTree(r.body()).path("Id").asText();
    created.add(id);
    createdInOrder.add(id);
    call(http, "start", "POST", "/containers/" + id + "/start", null, calls, errors, 204);
    r = call(http, "inspect", "GET", "/containers/" + id + "/json", null, calls, errors, 200);
    if (r != null && !M.readTree(r.body()).path("State").path("Running").asBoolean()) errors.add(name + ": not running after start: " + r.text());
    // the output is written by the monitor: it may take a moment to appear
    boolean seen = false;
    for (int i = 0; i < 100 && !seen; i++) {
      r = call(http, "logs", "GET", "/containers/" + id + "/logs?stdout=1&stderr=1", null, calls, errors, 200);
      seen = r != null && r.text().contains("out-" + name);
      if (!seen) Thread.sleep(100);
    }
    if (!seen) errors.add(name + ": its output never reached the log");
    // someone else's container: it may be anywhere in its life, or gone
    String other;
    synchronized (createdInOrder) {
      other = createdInOrder.get(ThreadLocalRandom.current().nextInt(createdInOrder.size()));
    }
    call(http, "inspect-other", "GET", "/containers/" + other + "/json", null, calls, errors, 200, 404);
    call(http, "logs-other", "GET", "/containers/" + other + "/logs?stdout=1&tail=5", null, calls, errors, 200, 404);
    call(http, "list", "GET", "/containers/json", null, calls, errors, 200);
    if (ThreadLocalRandom.current().nextBoolean()) {
      call(http, "stop", "POST", "/containers/" + id + "/stop?t=1", null, calls, errors, 204);
      call(http, "rm", "DELETE", "/containers/" + id, null, calls, errors, 204);
    } else {
      call(http, "rm-f", "DELETE", "/containers/" + id + "?force=1", null, calls, errors, 204);
    }
    r = call(http, "inspect-gone", "GET", "/containers/" + id + "/json", null, calls, errors, 404);
    if (r != null) removed.add(id);
  }

  static UnixHttp.Response call(UnixHttp http, String what, String method, String path, String body, Map<String, LongAdder> calls,
      ConcurrentLinkedQueue<String> errors, int... expected) throws Exception {
    calls.computeIfAbsent(what, k -> new LongAdder()).increment();
    UnixHttp.Response r = http.request(method, path, body);
    for (int e : expected) if (r.status() == e) return r;
    errors.add(method + " " + path + ": " + r.status() + " " + r.text().strip());
    return null;
  }
}
