package dev.berth.api.containers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import dev.berth.api.TestBerthd;
import dev.berth.api.TestBerthd.Ran;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * docker cp (GET/HEAD/PUT /containers/{id}/archive) through a berthd started by bin/berthd (own socket, --root, --exec-root and cgroup
 * parent), driven by the real docker CLI and docker-py (Debian's python3-docker); the image is
 * scripts/mk-oci-image.sh's busybox, loaded into the test's store with berth-image.
 */
class ArchiveIT {
  static final Path REPO = TestBerthd.REPO;
  static final String IMAGE = TestBerthd.IMAGE;
  static TestBerthd berthd;
  static Path tmp;
  static Path socket;

  @BeforeAll
  static void start() throws Exception {
    berthd = TestBerthd.start("archive");
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

  /** Runs a docker-py script (client {@code c}) and returns its stdout; fails with its output otherwise. */
  static String py(String body) throws Exception {
    String script = "import docker, sys, io, tarfile\nc = docker.APIClient(base_url='unix://" + socket + "', version='1.41', timeout=60)\n" + body;
    Process p = new ProcessBuilder("/usr/bin/python3", "-c", script).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(120, TimeUnit.SECONDS)) fail("docker-py timed out");
    if (p.exitValue() != 0) fail("docker-py failed:\n" + out + "\nberthd log:\n" + Files.readString(tmp.resolve("berthd.log")));
    return out;
  }

  @Test
  void fileBothWays() throws Exception {
    Path host = tmp.resolve("hostfile");
    Files.writeString(host, "from the host\n");
    docker("cp", host.toString(), "c1:/tmp/").ok();
    assertThat(docker("exec", "c1", "cat", "/tmp/hostfile").ok().out()).isEqualTo("from the host\n");
    Path out = tmp.resolve("out-hostname");
    docker("cp", "c1:/etc/hostname", out.toString()).ok();
    assertThat(Files.readString(out)).isEqualTo(docker("exec", "c1", "cat", "/etc/hostname").ok().out()).isNotEmpty();
    // renamed on the way in: a destination that does not exist yet
    docker("cp", host.toString(), "c1:/tmp/renamed").ok();
    assertThat(docker("exec", "c1", "cat", "/tmp/renamed").ok().out()).isEqualTo("from the host\n");
  }

  @Test
  void directoryBothWays() throws Exception {
    Path d = tmp.resolve("tree");
    Files.createDirectories(d.resolve("sub/deeper"));
    Files.writeString(d.resolve("a.txt"), "a\n");
    Files.writeString(d.resolve("sub/deeper/b.txt"), "b\n");
    Files.createSymbolicLink(d.resolve("sub/link"), Path.of("../a.txt"));
    docker("cp", d.toString(), "c1:/tmp/").ok();
    assertThat(docker("exec", "c1", "cat", "/tmp/tree/a.txt", "/tmp/tree/sub/deeper/b.txt", "/tmp/tree/sub/link").ok().out())
        .isEqualTo("a\nb\na\n");
    docker("exec", "c1", "sh", "-c", "mkdir -p /tmp/made/x && echo in-container > /tmp/made/x/f && chmod 0640 /tmp/made/x/f").ok();
    Path back = tmp.resolve("back");
    docker("cp", "c1:/tmp/made", back.toString()).ok();
    assertThat(Files.readString(back.resolve("x/f"))).isEqualTo("in-container\n");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(back.resolve("x/f")))).isEqualTo("rw-r-----");
  }

  @Test
  void stoppedContainer() throws Exception {
    Path host = tmp.resolve("to-stopped");
    Files.writeString(host, "while stopped\n");
    docker("cp", host.toString(), "stopped:/").ok();
    Path out = tmp.resolve("from-stopped");
    docker("cp", "stopped:/to-stopped", out.toString()).ok();
    assertThat(Files.readString(out)).isEqualTo("while stopped\n");
  }

  /** CVE-2018-15664 / CVE-2019-14271 class: a symlink the container made to / leads back into the container, never to the host. */
  @Test
  void symlinkToRootStaysInTheContainer() throws Exception {
    docker("exec", "c1", "sh", "-c", "ln -s / /tmp/escape && mkdir -p /root && echo container-shadow > /etc/shadow").ok();
    Path got = tmp.resolve("got");
    Files.createDirectories(got);
    docker("cp", "c1:/tmp/escape/etc/shadow", got.toString()).ok();
    assertThat(Files.readString(got.resolve("shadow"))).isEqualTo("container-shadow\n");
    String unique = "berth-archive-it-" + tmp.getFileName();
    Path file = tmp.resolve(unique);
    Files.writeString(file, "must stay in the container\n");
    try {
      docker("cp", file.toString(), "c1:/tmp/escape/root/").ok();
      assertThat(Path.of("/root", unique)).doesNotExist();
      assertThat(docker("exec", "c1", "cat", "/root/" + unique).ok().out()).isEqualTo("must stay in the container\n");
      // relative climbs stop at the container's root too
      docker("exec", "c1", "ln", "-s", "../../../../../../..", "/tmp/up").ok();
      docker("cp", file.toString(), "c1:/tmp/up/tmp/").ok();
      assertThat(Path.of("/tmp", unique)).doesNotExist();
      assertThat(docker("exec", "c1", "cat", "/tmp/" + unique).ok().out()).isEqualTo("must stay in the container\n");
    } finally {
      Files.deleteIfExists(Path.of("/root", unique));
      Files.deleteIfExists(Path.of("/tmp", unique));
    }
  }

  @Test
  void errors() throws Exception {
    Ran missing = docker("cp", "c1:/no/such/file", tmp.toString());
    assertThat(missing.code()).isNotZero();
    assertThat(missing.err()).contains("Could not find the file /no/such/file in container c1");
    Ran unknown = docker("cp", "no-such-container-here:/etc/hostname", tmp.toString());
    assertThat(unknown.code()).isNotZero();
    assertThat(unknown.err()).contains("No such container: no-such-container-here");
    String out = py("""
        s = c.get_archive('c1', '/tmp')[1]
        print(s['name'], s['mode'] & (1 << 31) != 0, oct(s['mode'] & 0o777), s['mode'] & (1 << 20) != 0)  # Go's ModeDir, ModeSticky
        for body in (b'not a tar at all' * 64, ):
            try:
                c.put_archive('c1', '/tmp', body); print('accepted')
            except docker.errors.APIError as e:
                print(e.response.status_code)
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode='w') as t:
            i = tarfile.TarInfo('halfwritten'); i.size = 100000
            t.addfile(i, io.BytesIO(b'x' * 100000))
        try:
            c.put_archive('c1', '/tmp', buf.getvalue()[:4096]); print('accepted')
        except docker.errors.APIError as e:
            print(e.response.status_code, 'Could not find' in str(e))
        try:
            c.put_archive('c1', '/no-such-dir', buf.getvalue()); print('accepted')
        except docker.errors.APIError as e:
            print(e.response.status_code)
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode='w') as t:
            i = tarfile.TarInfo('tmp'); i.size = 2
            t.addfile(i, io.BytesIO(b'xy'))
        r = c._put(c._url('/containers/c1/archive'), params={'path': '/', 'noOverwriteDirNonDir': 'true'}, data=buf.getvalue())
        print(r.status_code, r.json()['message'])
        """);
    assertThat(out.lines().toList()).containsExactly("tmp True 0o777 True", "400", "400 False", "404",
        "400 cannot overwrite directory \"tmp\" with non-directory \"tmp\"");
    assertThat(docker("exec", "c1", "ls", "/tmp/halfwritten").code()).isNotZero();
  }
}
