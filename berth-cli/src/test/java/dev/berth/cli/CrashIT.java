package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.runtime.ContainerException;
import dev.berth.runtime.RuntimeContext;
import dev.berth.runtime.ops.StateOp;
import dev.berth.runtime.state.StateStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * Crashes: {@code berth-runc create} killed (SIGKILL) at random points, on the warm path (the
 * launcher alone) and on the JVM path; a detached container's monitor killed; delete racing the
 * monitor. After each: {@code state} tells the truth, {@code delete -f} removes everything
 * (processes, cgroup in every hierarchy, state directory), and no hand-over file of a dead wrapper
 * stays. {@code state} and {@code delete} run in this JVM (the same code bin/berth-runc runs: only
 * the JVM start is saved) so that the loops stay within a minute.
 */
class CrashIT extends RuncTest {
  static final Path HANDOFF = Path.of("/run/berth-handoff");
  static final long SEED = Long.getLong("crash.seed", System.nanoTime());

  RuntimeContext ctx() {
    return new RuntimeContext(new StateStore(runc.root), Path.of("/nonexistent"), null, "text");
  }

  /** What `berth-runc state` prints, as a map; null if the container does not exist. */
  Map<String, Object> state(String id) {
    try {
      return StateOp.state(ctx(), id);
    } catch (ContainerException e) {
      if (e.kind() == ContainerException.Kind.NOT_FOUND) return null;
      throw e;
    }
  }

  /**
   * `berth-runc delete -f id` (its exit code), in this JVM. Its cgroup is found through the record;
   * only the test's cgroup parent, which this JVM's environment does not name, is left for
   * {@link #closeRunc} to remove.
   */
  int deleteForce(String id) {
    return dev.berth.cli.runc.Runc.execute("--root", runc.root.toString(), "delete", "--force", id);
  }

  /** The test's cgroup parent, empty once its containers are deleted (rmdir fails otherwise). */
  @Override
  @org.junit.jupiter.api.AfterEach
  void closeRunc() throws Exception {
    for (Path p : runc.parentDirs()) {
      try {
        Files.deleteIfExists(p);
      } catch (IOException stillUsed) {
        // a container left by a failed test: the driver's delete removes it, and the parent with it
      }
    }
    super.closeRunc();
  }

  /** Processes in the container's cgroup, in any hierarchy. */
  List<Integer> cgroupProcs(String id) throws IOException {
    List<Integer> pids = new ArrayList<>();
    for (Path d : runc.cgroupDirs(id)) {
      try {
        for (String l : Files.readAllLines(d.resolve("cgroup.procs"))) if (!l.isBlank()) pids.add(Integer.parseInt(l.trim()));
      } catch (IOException gone) {
        // removed meanwhile
      }
    }
    return pids;
  }

  static String describe(List<Integer> pids) {
    StringBuilder b = new StringBuilder();
    for (int pid : pids) {
      try {
        b.append("\n  ").append(Files.readString(Path.of("/proc/" + pid + "/stat")).trim());
      } catch (IOException gone) {
        b.append("\n  ").append(pid).append(" gone");
      }
    }
    return b.toString();
  }

  /** Live processes whose command line mentions {@code needle} (all of them also mention this test's root). */
  List<Long> processesMentioning(String... needles) {
    List<Long> out = new ArrayList<>();
    try (var ds = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
      for (Path p : ds) {
        String cmd;
        try {
          cmd = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8);
        } catch (IOException gone) {
          continue;
        }
        boolean all = cmd.contains(runc.root.toString());
        for (String n : needles) all &= cmd.contains(n);
        if (all) out.add(Long.parseLong(p.getFileName().toString()));
      }
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    return out;
  }

  void awaitNone(long timeoutMs, String... needles) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (!processesMentioning(needles).isEmpty() && System.nanoTime() < deadline) LockSupport.parkNanos(5_000_000);
  }

  /**
   * Starts {@code create}, kills it {@code delayUs} later, and (after any JVM it started has done
   * what it still does on its own) checks what is left, deletes it and checks nothing is.
   */
  String killCreate(Path bundle, String id, Map<String, String> env, long delayUs, List<Long> killed) throws Exception {
    return kill(List.of("create"), bundle, id, env, delayUs, killed);
  }

  String kill(List<String> action, Path bundle, String id, Map<String, String> env, long delayUs, List<Long> killed)
      throws Exception {
    runc.ids.add(id);
    List<String> cmd = new ArrayList<>(List.of(Runc.BIN.toString(), "--root", runc.root.toString()));
    cmd.addAll(action);
    cmd.addAll(List.of("--bundle", bundle.toString(), id));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD)
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().put("BERTH_CGROUP_PARENT", runc.cgroupParent);
    pb.environment().putAll(env);
    Process p = pb.start();
    LockSupport.parkNanos(delayUs * 1000);
    p.destroyForcibly(); // SIGKILL
    p.waitFor();
    killed.add(p.pid());
    // The wrapper's JVM, if it had started one, lives on: it undoes the create itself.
    awaitNone(20_000, "dev.berth.cli.RuncMain");
    assertThat(processesMentioning("dev.berth.cli.RuncMain")).as("JVM of a killed create still running").isEmpty();

    Map<String, Object> st = state(id);
    String outcome = st == null ? "absent" : (String) st.get("status");
    // Nobody is creating it any more: within moments it is either recorded (created) or has
    // nothing live left (stopped); a live init nobody recorded would keep it "creating".
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (st != null && st.get("status").equals("creating") && System.nanoTime() < deadline) {
      LockSupport.parkNanos(10_000_000);
      st = state(id);
    }
    if (st == null && !outcome.equals("absent")) outcome += "->absent"; // undone by the monitor
    if (st != null && !st.get("status").equals(outcome)) outcome += "->" + st.get("status");
    if (st != null) {
      assertThat(st.get("status")).as("%s after its create was killed at %d us; cgroup processes %s", id, delayUs,
          cgroupProcs(id)).isNotEqualTo("creating");
      List<Integer> procs = cgroupProcs(id);
      if (st.get("status").equals("stopped")) {
        // may shrink, never grow (nobody is left to add to it): if stopped, it is empty
        assertThat(procs).as("%s is stopped but its cgroup holds processes (delay %d us): %s %s", id, delayUs, st,
            describe(procs)).isEmpty();
      }
      if (st.get("status").equals("created") || st.get("status").equals("running")) {
        assertThat(procs).as("%s is %s", id, outcome).contains(((Number) st.get("pid")).intValue());
      }
    }
    assertThat(deleteForce(id)).as("delete -f %s (after a kill at %d us)", id, delayUs).isZero();
    runc.assertGone(id);
    awaitNone(5_000);
    assertThat(processesMentioning()).as("processes left by %s", id).isEmpty();
    return outcome;
  }

  @Test
  void killedWarmCreatesLeaveNothing() throws Exception {
    Path b = runc.bundle("b", c -> {}, "sleep", "100");
    runc.run("create", "--bundle", b.toString(), "warm0").ok(); // leaves the template
    Runc.Result warm = runc.exec(Map.of("BERTH_TRACE", "1"), 30, "create", "--bundle", b.toString(), "warm1");
    assertThat(warm.err()).as("the second create takes the warm path").doesNotContain("berth-trace");
    assertThat(deleteForce("warm0")).isZero();
    assertThat(deleteForce("warm1")).isZero();

    Random rnd = new Random(SEED);
    Map<String, Integer> outcomes = new TreeMap<>();
    List<Long> killed = new ArrayList<>();
    long t0 = System.nanoTime();
    for (int i = 0; i < 40; i++) {
      long delayUs = rnd.nextInt(30_000);
      String o = killCreate(b, "k" + i, Map.of(), delayUs, killed);
      outcomes.merge(o, 1, Integer::sum);
    }
    System.out.printf("CrashIT warm: seed %d, outcomes %s, %d ms%n", SEED, outcomes,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    assertThat(outcomes.keySet()).as("some kills land in the middle of the create").anyMatch(o -> o.startsWith("creating") || o.startsWith("stopped"));
  }

  /** run -d: the monitor (and its keeper) undo the container when the launcher dies before recording it. */
  @Test
  void killedWarmDetachedRunsLeaveNothing() throws Exception {
    Path b = runc.bundle("b", c -> {}, "sleep", "100");
    runc.run("run", "-d", "--bundle", b.toString(), "warm0").ok(); // leaves the template
    assertThat(deleteForce("warm0")).isZero();
    Random rnd = new Random(SEED + 2);
    Map<String, Integer> outcomes = new TreeMap<>();
    List<Long> killed = new ArrayList<>();
    long t0 = System.nanoTime();
    for (int i = 0; i < 20; i++) {
      outcomes.merge(kill(List.of("run", "-d"), b, "d" + i, Map.of(), rnd.nextInt(30_000), killed), 1, Integer::sum);
    }
    System.out.printf("CrashIT warm run -d: seed %d, outcomes %s, %d ms%n", SEED, outcomes,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
  }

  @Test
  void killedJvmCreatesLeaveNothingAndTheNextCreateSweepsTheirHandOffFiles() throws Exception {
    Path b = runc.bundle("b", c -> {}, "sleep", "100");
    Map<String, String> cold = Map.of("BERTH_NO_FAST", "1");
    Random rnd = new Random(SEED + 1);
    Map<String, Integer> outcomes = new TreeMap<>();
    List<Long> killed = new ArrayList<>();
    int handoffsLeft = 0;
    long t0 = System.nanoTime();
    for (int i = 0; i < 16; i++) {
      long delayUs = rnd.nextInt(700_000);
      String o = killCreate(b, "j" + i, cold, delayUs, killed);
      outcomes.merge(o, 1, Integer::sum);
      long pid = killed.getLast();
      if (Files.exists(HANDOFF.resolve(Long.toString(pid))) || Files.exists(HANDOFF.resolve(pid + ".tmp"))) handoffsLeft++;
    }
    // The next create (JVM path) sweeps the hand-over files whose wrapper is gone.
    runc.exec(cold, 30, "create", "--bundle", b.toString(), "sweeper").ok();
    assertThat(deleteForce("sweeper")).isZero();
    for (long pid : killed) {
      if (ProcessHandle.of(pid).isPresent()) continue; // reused meanwhile: not a file of ours to judge
      assertThat(HANDOFF.resolve(Long.toString(pid))).as("hand-over file of the killed wrapper %d", pid).doesNotExist();
      assertThat(HANDOFF.resolve(pid + ".tmp")).doesNotExist();
    }
    System.out.printf("CrashIT jvm: seed %d, outcomes %s, hand-over files left by kills %d, %d ms%n", SEED, outcomes,
        handoffsLeft, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
  }

  static long recordedPid(Path file) throws IOException {
    return Long.parseLong(Files.readString(file).trim().split(" ")[0]);
  }

  /** Waits until the container is stopped and its end recorded (the monitor or keeper writes it just after). */
  Map<String, Object> awaitStopped(String id) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    Map<String, Object> st = state(id);
    while ((!"stopped".equals(st.get("status")) || st.get("exitStatus") == null) && System.nanoTime() < deadline) {
      LockSupport.parkNanos(10_000_000);
      st = state(id);
    }
    return st;
  }

  @Test
  void aKilledMonitorDoesNotLoseTheExitStatus() throws Exception {
    Path b = runc.bundle("b", c -> {}, "sh", "-c", "sleep 2; exit 7");
    runc.run("run", "-d", "--bundle", b.toString(), "m1").ok();
    Path dir = runc.root.resolve("m1");
    long monitor = recordedPid(dir.resolve("monitor"));
    int init = Integer.parseInt(Files.readString(dir.resolve("pid")).trim());
    assertThat(ProcessHandle.of(init).flatMap(ProcessHandle::parent).map(ProcessHandle::pid)).as("the init's parent")
        .contains(monitor);
    ProcessHandle.of(monitor).orElseThrow().destroyForcibly();
    assertThat(state("m1").get("status")).isEqualTo("running"); // the container goes on
    Map<String, Object> st = awaitStopped("m1");
    assertThat(st.get("status")).isEqualTo("stopped");
    assertThat(st.get("exitStatus")).isEqualTo("exited 7");
    assertThat(dev.berth.cli.runc.Runc.execute("--root", runc.root.toString(), "delete", "m1")).isZero();
    runc.assertGone("m1");

    // Monitor and keeper both killed: the exit status cannot be known, and state says so.
    runc.run("run", "-d", "--bundle", b.toString(), "m2").ok();
    dir = runc.root.resolve("m2");
    for (String f : List.of("keeper", "monitor")) ProcessHandle.of(recordedPid(dir.resolve(f))).orElseThrow().destroyForcibly();
    st = awaitStopped("m2");
    assertThat(st.get("status")).isEqualTo("stopped");
    assertThat(st.get("exitStatus")).isEqualTo(dev.berth.runtime.state.Container.EXIT_UNKNOWN);
    assertThat(dev.berth.cli.runc.Runc.execute("--root", runc.root.toString(), "delete", "m2")).isZero();
    runc.assertGone("m2");
  }

  /** delete -f right after run -d, again and again: it never races the monitor's write of the exit status. */
  @Test
  void deleteForceNeverRacesTheMonitor() throws Exception {
    Path b = runc.bundle("b", c -> {}, "sleep", "100");
    runc.run("run", "-d", "--bundle", b.toString(), "r0").ok(); // leaves the template
    assertThat(deleteForce("r0")).isZero();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
    int cycles = 0;
    for (; cycles < 200 && System.nanoTime() < deadline; cycles++) {
      String id = "r" + (cycles + 1);
      runc.run("run", "-d", "--bundle", b.toString(), id).ok();
      assertThat(deleteForce(id)).as("delete -f %s (cycle %d)", id, cycles).isZero();
      runc.assertGone(id);
    }
    System.out.printf("CrashIT delete race: %d cycles%n", cycles);
    assertThat(cycles).isGreaterThanOrEqualTo(100);
  }
}
