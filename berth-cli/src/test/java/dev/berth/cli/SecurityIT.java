package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The classic runc/Docker escapes, each attempted for real against bin/berth-runc. */
class SecurityIT extends RuncTest {
  static final Path LAUNCHER = Runc.REPO.resolve("berth-native/target/berth-launch");

  static String sha256(Path p) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
  }

  /** CVE-2019-5736: the binary that enters the container cannot be reached for writing from inside. */
  @Test
  void cve2019_5736_launcherBinaryCannotBeOverwrittenFromInside() throws Exception {
    String before = sha256(LAUNCHER);
    Path b = runc.bundle("b", c -> {}, "sleep", "1000");
    runc.run("create", "--bundle", b.toString(), "c5736").ok();
    int init = runc.state("c5736").get("pid").asInt();
    // The container's init is still the launcher, waiting for start: it runs from a sealed memfd copy.
    assertThat(Files.readSymbolicLink(Path.of("/proc/" + init + "/exe")).toString()).startsWith("/memfd:");
    // From inside (exec runs as the container's root), /proc/1/exe of the waiting launcher cannot be
    // opened for writing, nor can the exec'd launcher's own exe be reached.
    Runc.Result w = runc.run("exec", "c5736", "sh", "-c",
        "for p in /proc/[0-9]*; do echo pwned >> $p/exe 2>/dev/null && echo WROTE $p; done; echo done");
    assertThat(w.out()).doesNotContain("WROTE").contains("done");
    runc.run("delete", "--force", "c5736").ok();

    // The original attack: the container's process is /proc/self/exe (i.e. whatever ran before exec).
    Path self = runc.bundle("self", c -> {}, "/proc/self/exe");
    runc.run("run", "--bundle", self.toString(), "c5736b");
    assertThat(sha256(LAUNCHER)).isEqualTo(before);
  }

  /** CVE-2024-21626: no host fd leaks into the container; a cwd through /proc/self/fd is refused. */
  @Test
  void cve2024_21626_noLeakedFdsAndCwdMustStayInside() throws Exception {
    Path b = runc.bundle("b", c -> {}, "sh", "-c", "ls /proc/self/fd");
    List<String> fds = runc.output(b, "fds").lines().toList();
    assertThat(fds).as("fds of ls: 0-2 and its own directory handle").isSubsetOf("0", "1", "2", "3");
    Path e = runc.bundle("e", c -> {}, "sleep", "100");
    runc.run("run", "-d", "--bundle", e.toString(), "fdexec").ok();
    List<String> execFds = runc.run("exec", "fdexec", "ls", "/proc/self/fd").ok().out().lines().toList();
    assertThat(execFds).isSubsetOf("0", "1", "2", "3");
    runc.run("delete", "--force", "fdexec").ok();
    for (int fd = 3; fd <= 9; fd++) {
      int n = fd;
      Path bad = runc.bundle("cwd" + fd, c -> ((ObjectNode) c.get("process")).put("cwd", "/proc/self/fd/" + n),
          "sh", "-c", "ls ..; echo ESCAPED");
      Runc.Result r = runc.run("run", "--bundle", bad.toString(), "cwd" + fd);
      assertThat(r.out()).as("cwd /proc/self/fd/%d", fd).doesNotContain("ESCAPED");
      assertThat(r.code()).isNotZero();
      runc.assertGone("cwd" + fd);
    }
  }

  /** CVE-2021-30465: a symlink in the rootfs cannot redirect a mount onto the host. */
  @Test
  void cve2021_30465_mountTargetsResolveInsideTheRootfs() throws Exception {
    Path host = Files.createTempDirectory(runc.tmp, "hostdir");
    Path b = runc.bundle("b", c -> {
      ArrayNode m = (ArrayNode) c.get("mounts");
      m.addObject().put("destination", "/abs/sub").put("type", "tmpfs").put("source", "tmpfs");
      m.addObject().put("destination", "/rel/sub").put("type", "tmpfs").put("source", "tmpfs");
    }, "sh", "-c", "grep -c ' /tmp/.*/sub ' /proc/self/mountinfo");
    Path rootfs = b.resolve("rootfs");
    Files.createSymbolicLink(rootfs.resolve("abs"), host);
    Files.createSymbolicLink(rootfs.resolve("rel"), Path.of("../../../../../../../../" + host));
    runc.run("run", "--bundle", b.toString(), "c30465").ok();
    assertThat(host.resolve("sub")).as("nothing created through the symlink on the host").doesNotExist();
    assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(host.toString());
    assertThat(rootfs.resolve(host.toString().substring(1)).resolve("sub")).as("landed inside the rootfs").isDirectory();
  }

  /**
   * CVE-2019-16884: a volume mounted over /proc (here a bind of a directory the image controls,
   * shaped like procfs) must not receive the writes meant for procfs.
   */
  @Test
  void cve2019_16884_procWritesRequireRealProcfs() throws Exception {
    Path fake = runc.tmp.resolve("fakeproc");
    Files.createDirectories(fake.resolve("sys/kernel"));
    Files.writeString(fake.resolve("sys/kernel/shmmni"), "untouched");
    Path b = runc.bundle("b", c -> {
      ArrayNode m = (ArrayNode) c.get("mounts");
      for (int i = m.size() - 1; i >= 0; i--) if (m.get(i).get("destination").asText().equals("/proc")) m.remove(i);
      m.insertObject(0).put("destination", "/proc").put("type", "bind").put("source", fake.toString())
          .putArray("options").add("rbind");
      ObjectNode linux = (ObjectNode) c.get("linux");
      linux.putArray("maskedPaths");
      linux.putArray("readonlyPaths");
      linux.putObject("sysctl").put("kernel.shmmni", "1234");
    }, "true");
    Runc.Result r = runc.run("run", "--bundle", b.toString(), "c16884");
    assertThat(r.code()).isNotZero();
    assertThat(r.err()).contains("not on procfs");
    assertThat(Files.readString(fake.resolve("sys/kernel/shmmni"))).isEqualTo("untouched");
    runc.assertGone("c16884");
  }
}
