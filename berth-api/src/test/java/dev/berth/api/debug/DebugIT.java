package dev.berth.api.debug;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import dev.berth.api.TestBerthd;
import dev.berth.api.TestBerthd.Ran;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * berth debug (issue 13, part 2) through a berthd of its own (TestBerthd: own socket, roots, cgroup
 * parent, bridge and nft table): a container from a FROM-scratch-style image holding one static
 * binary (Debian's busybox-static renamed /app/sleep, in a docker-save tar made here and loaded with
 * {@code docker load}) debugged with the busybox tools image, through the API (docker-py's client:
 * POST /containers/{id}/debug, then the normal POST /exec/{id}/start) and through bin/berth debug.
 */
class DebugIT {
  static final String TOOLS = TestBerthd.IMAGE;
  static final String SLIM = "localhost/berth/slim:1";
  static TestBerthd berthd;
  static Path tmp;
  static String slimId;

  @BeforeAll
  static void start() throws Exception {
    berthd = TestBerthd.start("debug");
    tmp = berthd.tmp();
    Path tar = tmp.resolve("slim.tar");
    py3(String.join("\n",
        "import hashlib, io, json, tarfile, sys",
        "b = open('/bin/busybox', 'rb').read()",
        "lb = io.BytesIO()",
        "with tarfile.open(fileobj=lb, mode='w', format=tarfile.PAX_FORMAT) as t:",
        "    d = tarfile.TarInfo('app'); d.type = tarfile.DIRTYPE; d.mode = 0o755; t.addfile(d)",
        "    f = tarfile.TarInfo('app/sleep'); f.mode = 0o755; f.size = len(b); t.addfile(f, io.BytesIO(b))",
        "layer = lb.getvalue(); ld = hashlib.sha256(layer).hexdigest()",
        "cfg = json.dumps({'architecture': 'amd64', 'os': 'linux', 'config': {'Entrypoint': ['/app/sleep'], 'Cmd': ['600']},",
        "    'rootfs': {'type': 'layers', 'diff_ids': ['sha256:' + ld]}}).encode()",
        "cd = hashlib.sha256(cfg).hexdigest()",
        "man = json.dumps([{'Config': cd + '.json', 'RepoTags': ['" + SLIM + "'], 'Layers': [ld + '/layer.tar']}]).encode()",
        "with tarfile.open(sys.argv[1], 'w') as t:",
        "    for name, data in [(cd + '.json', cfg), (ld + '/layer.tar', layer), ('manifest.json', man)]:",
        "        i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))"), tar.toString());
    berthd.docker("load", "-i", tar.toString()).ok();
    slimId = berthd.docker("run", "-d", "--name", "slim", "--memory", "64m", SLIM).ok().out().strip();
    berthd.docker("run", "-d", "--name", "stopped", SLIM, "0").ok();
    berthd.docker("wait", "stopped").ok();
  }

  @AfterAll
  static void stop() throws Exception {
    if (berthd != null) {
      berthd.docker("rm", "-f", "slim", "stopped", "scratch-run");
      berthd.close();
    }
  }

  /** The bug found last time: a scratch image has no /etc/hosts, /etc/hostname, /etc/resolv.conf; docker run makes them as files. */
  @Test
  void scratchImageRunsAndTheEtcFilesAreFiles() throws Exception {
    Ran r = berthd.docker("run", "--name", "scratch-run", "--entrypoint", "/app/sleep", SLIM, "0");
    assertThat(r.code()).as(r.err()).isZero();
    // nothing of the container's own: the files came with the init layer, not its changes
    assertThat(berthd.docker("diff", "scratch-run").ok().out()).doesNotContain("/etc");
    Path ctr = tmp.resolve("lib/containers").resolve(berthd.docker("inspect", "-f", "{{.Id}}", "scratch-run").ok().out().strip());
    for (String f : List.of("hosts", "hostname", "resolv.conf")) {
      assertThat(Files.isRegularFile(ctr.resolve("init/etc").resolve(f))).as(f).isTrue();
    }
    berthd.docker("rm", "scratch-run").ok();
  }

  /** The API, driven by docker-py: ps, /container, writes kept apart, the container's cgroup, every trace gone after. */
  @Test
  void apiSession() throws Exception {
    String script = String.join("\n",
        "r = c._post_json(c._url('/containers/{0}/debug', 'slim'), data={'Image': '" + TOOLS + "', 'Cmd': ['sh', '-c',",
        "  'ps -o pid,args; echo ---; ls /container /container/app; echo ---; echo x > /written-by-debug; ls /written-by-debug; echo ---; cat /proc/1/cmdline | tr \"\\\\0\" \" \"; echo; hostname']})",
        "eid = c._result(r, True)['Id']",
        "out = c.exec_start(eid).decode()",
        "print(out)",
        "print('EXIT', c.exec_inspect(eid)['ExitCode'])",
        "try:",
        "    c.exec_inspect(eid); print('RECORD STILL THERE')",
        "except docker.errors.NotFound:",
        "    print('RECORD GONE')");
    String out = py(script);
    assertThat(out).contains("EXIT 0").contains("RECORD GONE");
    String[] parts = out.split("---\n");
    assertThat(parts[0]).as(out).containsPattern("\\s1 /app/sleep 600").contains("ps -o pid,args");
    assertThat(parts[1]).as(out).contains("app").contains("sleep").contains("etc");
    assertThat(parts[2]).contains("/written-by-debug");
    assertThat(parts[3]).contains("/app/sleep 600").contains(slimId.substring(0, 12));
    // nothing written into the container
    Path upper = tmp.resolve("lib/containers").resolve(slimId).resolve("upper");
    try (var s = Files.walk(upper)) {
      assertThat(s.map(Path::toString).filter(p -> p.contains("written-by-debug")).toList()).isEmpty();
    }
    assertNoTrace();
  }

  /** The tools process counts against the container's cgroup: the same cgroup as its init, whose 64 MiB limit applies. */
  @Test
  void sessionIsInTheContainersCgroup() throws Exception {
    String script = String.join("\n",
        "import os",
        "r = c._post_json(c._url('/containers/{0}/debug', 'slim'), data={'Image': '" + TOOLS + "', 'Cmd': ['sh', '-c', 'echo up; sleep 20']})",
        "eid = c._result(r, True)['Id']",
        "s = c.exec_start(eid, stream=True)",
        "first = next(s)",
        "pid = c.exec_inspect(eid)['Pid']",
        "init = c.inspect_container('slim')['State']['Pid']",
        "mine = open('/proc/%d/cgroup' % pid).read()",
        "theirs = open('/proc/%d/cgroup' % init).read()",
        "print('SAME' if mine == theirs else 'DIFFERENT\\n' + mine + '\\n' + theirs)",
        "for line in mine.splitlines():",
        "    h, ctl, path = line.split(':', 2)",
        "    if ctl == 'memory': print('LIMIT', open('/sys/fs/cgroup/memory' + path + '/memory.limit_in_bytes').read().strip())",
        "    if ctl == '' and h == '0' and os.path.exists('/sys/fs/cgroup' + path + '/memory.max'):",
        "        print('LIMIT', open('/sys/fs/cgroup' + path + '/memory.max').read().strip())",
        "ns = lambda p, t: os.readlink('/proc/%d/ns/%s' % (p, t))",
        "print('MNT', ns(pid, 'mnt') != ns(init, 'mnt'))",
        "for t in ['pid', 'net', 'ipc', 'uts', 'cgroup']: print(t.upper(), ns(pid, t) == ns(init, t))",
        "os.kill(pid, 9)",
        "for _ in s: pass",
        "print('EXIT', c.exec_inspect(eid)['ExitCode'])");
    String out = py(script);
    assertThat(out).as(out).contains("SAME").contains("LIMIT 67108864").contains("MNT True").contains("PID True").contains("NET True")
        .contains("IPC True").contains("UTS True").contains("CGROUP True")
        .contains("EXIT 137");
    assertNoTrace();
  }

  @Test
  void badInput() throws Exception {
    String out = py(String.join("\n",
        "for ref, img in [('no-such-container-x', None), ('stopped', None), ('slim', 'localhost/no-such-tools:9')]:",
        "    body = {'Image': img} if img else {}",
        "    r = c._post_json(c._url('/containers/{0}/debug', ref), data=body)",
        "    print(ref, r.status_code, r.json().get('message'))"));
    assertThat(out).contains("no-such-container-x 404 No such container: no-such-container-x");
    assertThat(out).containsPattern("stopped 409 .*is not running");
    assertThat(out).contains("slim 404 No such image: localhost/no-such-tools:9");
    // no Image: busybox:latest, absent from this store
    assertThat(py("r = c._post_json(c._url('/containers/{0}/debug', 'slim'), data={})\nprint(r.status_code, r.json()['message'])"))
        .contains("404 No such image: busybox:latest");
    assertNoTrace();
    Ran r = berth("debug", "-T", "--image", TOOLS, "stopped", "--", "true");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("berth: debug stopped:").contains("is not running");
    r = berth("debug", "-T", "--image", "localhost/no-such-tools:9", "slim", "--", "true");
    assertThat(r.code()).isEqualTo(3);
    assertThat(r.err()).contains("No such image: localhost/no-such-tools:9");
    r = berth("debug", "-T", "nothing-by-this-name", "--", "true");
    assertThat(r.code()).isEqualTo(3);
    assertThat(r.err()).contains("No such container: nothing-by-this-name");
    assertNoTrace();
  }

  /** bin/berth debug: output, stdin, exit code; and the time to a shell (printed, not asserted). */
  @Test
  void cliSession() throws Exception {
    Ran r = berthIn("echo from-stdin; ps -o args | grep -c '/app/sleep 600'; ls /container/app; exit 7\n",
        "debug", "-T", "--image", TOOLS, "slim");
    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(7);
    assertThat(r.out()).contains("from-stdin").contains("sleep");
    assertThat(r.out()).containsPattern("(?m)^[12]$");
    r = berth("debug", "-T", "--image", TOOLS, "slim", "--", "sh", "-c", "test -d /container/app && echo ok");
    assertThat(r.code()).as(r.out() + r.err() + berthd.log()).isZero();
    assertThat(r.out()).isEqualTo("ok\n");
    assertNoTrace();
    // time to a shell and out (`true` as the shell), 5 rounds each, medians: printed, not asserted
    List<Long> cli = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      long t0 = System.nanoTime();
      berth("debug", "-T", "--image", TOOLS, "slim", "--", "true").ok();
      cli.add((System.nanoTime() - t0) / 1_000_000);
    }
    String api = py(String.join("\n",
        "ts = []",
        "for i in range(5):",
        "    t0 = time.monotonic()",
        "    r = c._post_json(c._url('/containers/{0}/debug', 'slim'), data={'Image': '" + TOOLS + "', 'Cmd': ['true']})",
        "    eid = c._result(r, True)['Id']",
        "    o = c.exec_start(eid)",
        "    ins = c.exec_inspect(eid)",
        "    assert ins['ExitCode'] == 0, (o, ins)",
        "    ts.append((time.monotonic() - t0) * 1000)",
        "print('API', ' '.join('%.0f' % t for t in ts), 'median %.0f' % sorted(ts)[2])"));
    java.util.Collections.sort(cli);
    double load = Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
    System.out.printf("DebugIT: time to a shell and out (true), 5 rounds, load %.1f: bin/berth debug median %d ms %s; %s ms%n",
        load, cli.get(2), cli, api.strip());
    assertNoTrace();
  }

  /** With a terminal: the session's own devpts (/dev/ptmx → pts/ptmx), stdout and stderr on it. */
  @Test
  void terminalSession() throws Exception {
    String out = py(String.join("\n",
        "r = c._post_json(c._url('/containers/{0}/debug', 'slim'), data={'Image': '" + TOOLS + "', 'Tty': True,",
        "  'Cmd': ['sh', '-c', 'tty; readlink /dev/ptmx; echo to-stderr >&2; exit 4']})",
        "eid = c._result(r, True)['Id']",
        "print(c.exec_start(eid, tty=True).decode())",
        "print('EXIT', c.exec_inspect(eid)['ExitCode'])"));
    assertThat(out).as(out).contains("/dev/pts/0").contains("pts/ptmx").contains("to-stderr").contains("EXIT 4");
    assertNoTrace();
  }

  /** No debug snapshot, no mount of one, no process left in the container but its init. */
  static void assertNoTrace() throws Exception {
    Path containers = tmp.resolve("lib/containers");
    List<String> left = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      left.clear();
      try (var ds = Files.newDirectoryStream(containers, "debug-*")) {
        for (Path p : ds) left.add(p.toString());
      }
      for (String l : Files.readAllLines(Path.of("/proc/self/mountinfo"))) if (l.contains(containers + "/debug-")) left.add(l);
      if (left.isEmpty()) break;
      Thread.sleep(100);
    }
    assertThat(left).isEmpty();
    String init = berthd.docker("inspect", "-f", "{{.State.Pid}}", "slim").ok().out().strip();
    String mine = Files.readString(Path.of("/proc/" + init + "/cgroup"));
    String line = mine.lines().filter(l -> l.contains(":pids:") || l.startsWith("0::")).findFirst().orElseThrow();
    String path = line.substring(line.indexOf(':', line.indexOf(':') + 1) + 1);
    Path procs = line.startsWith("0::") ? Path.of("/sys/fs/cgroup" + path, "cgroup.procs") : Path.of("/sys/fs/cgroup/pids" + path, "cgroup.procs");
    List<String> pids = List.of();
    for (int i = 0; i < 100; i++) {
      pids = Files.readAllLines(procs);
      if (pids.equals(List.of(init))) break;
      Thread.sleep(100);
    }
    assertThat(pids).isEqualTo(List.of(init));
  }

  static Ran berth(String... args) throws Exception {
    return berthIn(null, args);
  }

  static Ran berthIn(String stdin, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(TestBerthd.REPO.resolve("bin/berth").toString()));
    cmd.addAll(List.of(args));
    return TestBerthd.run(cmd, java.util.Map.of("BERTHD_HOST", "unix://" + berthd.socket()), tmp, stdin);
  }

  static void py3(String script, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("/usr/bin/python3", "-c", script));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) fail("python3 failed:\n" + out);
  }

  /** A docker-py script (APIClient {@code c}); its stdout, or a failure with it and berthd's log. */
  static String py(String body) throws Exception {
    String script = "import docker, sys, time\nc = docker.APIClient(base_url='unix://" + berthd.socket() + "', version='1.41', timeout=60)\n" + body;
    Process p = new ProcessBuilder("/usr/bin/python3", "-c", script).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(120, TimeUnit.SECONDS)) fail("docker-py timed out");
    if (p.exitValue() != 0) fail("docker-py failed:\n" + out + "\nberthd log:\n" + berthd.log());
    return out;
  }
}
