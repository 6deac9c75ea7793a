package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Runtime-spec conformance of the launcher path, through bin/berth-runc: the seccomp filter is the
 * last thing before execve, a process that cannot be started fails start/run (as runc), seccomp
 * deaths are explained, and a container may share the runtime's mount namespace.
 */
class ConformanceIT extends RuncTest {

  /**
   * What {@code busybox echo} makes (strace of busybox-static 1.37, amd64) plus what any process may
   * need to end (exit, rt_sigreturn) and get memory (mmap, munmap), and execve. Nothing the launcher
   * uses to set itself up (close_range, fcntl, openat, capset, setresuid, rt_sigprocmask, ...).
   */
  static final List<String> ECHO_SYSCALLS = List.of("execve", "arch_prctl", "brk", "exit_group", "exit", "getrandom",
      "getuid", "mprotect", "mmap", "munmap", "prctl", "prlimit64", "readlink", "rseq", "rt_sigreturn",
      "set_robust_list", "set_tid_address", "write");

  static Consumer<ObjectNode> seccomp(String defaultAction, List<String> allowed, boolean noNewPrivileges) {
    return c -> {
      ((ObjectNode) c.get("process")).put("noNewPrivileges", noNewPrivileges);
      ObjectNode s = ((ObjectNode) c.get("linux")).putObject("seccomp");
      s.put("defaultAction", defaultAction);
      s.putArray("architectures").add("SCMP_ARCH_X86_64");
      ObjectNode rule = s.putArray("syscalls").addObject();
      allowed.forEach(rule.putArray("names")::add);
      rule.put("action", "SCMP_ACT_ALLOW");
    };
  }

  /** runtime-spec config-linux "seccomp" + issue 8: after the filter, the launcher makes no call but execve. */
  @ParameterizedTest(name = "noNewPrivileges={0}")
  @ValueSource(booleans = {true, false})
  void minimalSeccompAllowlistRuns(boolean nnp) throws Exception {
    Path b = runc.bundle("b", seccomp("SCMP_ACT_ERRNO", ECHO_SYSCALLS, nnp), "echo", "under-the-filter");
    // run (foreground), then create + start with the output in a file of the rootfs' host side
    assertThat(runc.output(b, "sec-run")).isEqualTo("under-the-filter\n");
    Runc.Result create = runc.run("create", "--bundle", b.toString(), "sec-cs").ok();
    assertThat(create.err()).isEmpty();
    runc.run("start", "sec-cs").ok();
    // the program ran: the create's stdout is the container's (the init inherited it); wait for its end
    for (int i = 0; i < 200 && !runc.state("sec-cs").get("status").asText().equals("stopped"); i++) Thread.sleep(10);
    assertThat(runc.state("sec-cs").get("status").asText()).isEqualTo("stopped");
    runc.run("delete", "sec-cs").ok();
  }

  /** Without noNewPrivileges the filter needs CAP_SYS_ADMIN: kept until execve, never given to the process. */
  @ParameterizedTest(name = "uid={0}")
  @ValueSource(ints = {0, 1000})
  void withoutNoNewPrivilegesTheProcessDoesNotKeepSysAdmin(int uid) throws Exception {
    Path b = runc.bundle("b", c -> {
      seccomp("SCMP_ACT_ALLOW", List.of("getpid"), false).accept(c);
      ((ObjectNode) c.get("process")).putObject("user").put("uid", uid).put("gid", 0);
    }, "grep", "-E", "^Cap(Eff|Prm)", "/proc/self/status");
    // CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE for root; nothing for a non-root user without ambient caps
    String caps = uid == 0 ? "0000000020000420" : "0000000000000000";
    assertThat(runc.output(b, "nonnp")).isEqualTo("CapPrm:\t" + caps + "\nCapEff:\t" + caps + "\n");
  }

  private Path badExecutable() throws Exception {
    Path b = runc.bundle("bad", c -> {}, "/bin/not-elf");
    Path f = b.resolve("rootfs/bin/not-elf");
    Files.write(f, new byte[] {1, 2, 3, 4, 'n', 'o', 't', ' ', 'e', 'l', 'f'});
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-xr-x"));
    return b;
  }

  /** An exec that fails after create (here ENOEXEC) fails start, with the launcher's message. */
  @Test
  void execFailureAfterCreateFailsStart() throws Exception {
    Path b = badExecutable();
    runc.run("create", "--bundle", b.toString(), "late").ok();
    Runc.Result start = runc.run("start", "late");
    assertThat(start.code()).isNotZero();
    assertThat(start.err()).isEqualTo("berth-runc: exec: /bin/not-elf: Exec format error\n");
    assertThat(runc.state("late").get("status").asText()).isEqualTo("stopped");
    runc.run("delete", "late").ok();
  }

  @Test
  void execFailureFailsRunForegroundAndDetached() throws Exception {
    Path b = badExecutable();
    Runc.Result fg = runc.run("run", "--bundle", b.toString(), "late-fg");
    assertThat(fg.code()).isNotZero();
    assertThat(fg.err()).isEqualTo("berth-runc: exec: /bin/not-elf: Exec format error\n");
    runc.assertGone("late-fg");
    Runc.Result bg = runc.run("run", "-d", "--bundle", b.toString(), "late-bg");
    assertThat(bg.code()).isNotZero();
    assertThat(bg.err()).isEqualTo("berth-runc: exec: /bin/not-elf: Exec format error\n");
    runc.assertGone("late-bg");
  }

  /** A startContainer hook runs after start released the init: its failure fails start too. */
  @Test
  void failingStartContainerHookFailsStart() throws Exception {
    Path b = runc.bundle("b", c -> c.putObject("hooks").putArray("startContainer").addObject()
        .put("path", "/bin/false"), "true");
    runc.run("create", "--bundle", b.toString(), "hookfail").ok();
    Runc.Result start = runc.run("start", "hookfail");
    assertThat(start.code()).isNotZero();
    assertThat(start.err()).startsWith("berth-runc: ").contains("startContainer").contains("/bin/false");
    runc.run("delete", "hookfail").ok();
  }

  /** As runc: a program the process may not execute fails create, not the start. */
  @Test
  void notExecutableFailsCreate() throws Exception {
    Path b = runc.bundle("b", c -> {}, "/etc/passwd");
    Runc.Result r = runc.run("create", "--bundle", b.toString(), "noexec");
    assertThat(r.code()).isNotZero();
    assertThat(r.err()).isEqualTo("berth-runc: exec: /etc/passwd: Permission denied\n");
    runc.assertGone("noexec");
  }

  @Test
  void profileRefusingExecveIsRefusedAtCreate() throws Exception {
    List<String> noExecve = ECHO_SYSCALLS.stream().filter(s -> !s.equals("execve")).toList();
    Path b = runc.bundle("b", seccomp("SCMP_ACT_ERRNO", noExecve, true), "echo", "x");
    Runc.Result r = runc.run("create", "--bundle", b.toString(), "noexecve");
    assertThat(r.code()).isNotZero();
    assertThat(r.err()).contains("linux.seccomp").contains("refuses execve (SCMP_ACT_ERRNO)");
    runc.assertGone("noexecve");
  }

  /** An execve refused only by a conditional rule (not refusable at create) is reported by start and run. */
  @Test
  void execveRefusedByAConditionalRuleIsReported() throws Exception {
    Path b = runc.bundle("b", c -> {
      ObjectNode s = ((ObjectNode) c.get("linux")).putObject("seccomp");
      s.put("defaultAction", "SCMP_ACT_ALLOW");
      ObjectNode rule = s.putArray("syscalls").addObject();
      rule.putArray("names").add("execve");
      rule.put("action", "SCMP_ACT_ERRNO");
      rule.putArray("args").addObject().put("index", 2).put("value", 0).put("op", "SCMP_CMP_NE"); // envp != NULL
    }, "/bin/echo", "never");
    String expected = "berth-runc: exec: /bin/echo (under linux.seccomp: a conditional rule refusing execve?): "
        + "Operation not permitted\n";
    Runc.Result r = runc.run("run", "--bundle", b.toString(), "condexec");
    assertThat(r.code()).isNotZero();
    assertThat(r.err()).isEqualTo(expected);
    runc.run("create", "--bundle", b.toString(), "condexec2").ok();
    Runc.Result start = runc.run("start", "condexec2");
    assertThat(start.code()).isNotZero();
    assertThat(start.err()).isEqualTo(expected);
    runc.run("delete", "condexec2").ok();
  }

  /** issue 9: a process that cannot exit dies of SIGSEGV (139); the launcher says why. */
  @Test
  void refusedExitGroupIsExplained() throws Exception {
    // glibc's _exit tries exit_group, then exit, then an illegal instruction
    List<String> noExit = ECHO_SYSCALLS.stream().filter(s -> !s.equals("exit_group") && !s.equals("exit")).toList();
    Path b = runc.bundle("b", seccomp("SCMP_ACT_ERRNO", noExit, true), "echo", "x");
    Runc.Result r = runc.run("run", "--bundle", b.toString(), "noexit");
    assertThat(r.code()).isEqualTo(139);
    assertThat(r.err()).contains("killed by signal 11").contains("linux.seccomp refuses exit_group, exit (SCMP_ACT_ERRNO)");
  }

  @Test
  void sigsysDeathIsExplained() throws Exception {
    Path b = runc.bundle("b", c -> {
      ObjectNode s = ((ObjectNode) c.get("linux")).putObject("seccomp");
      s.put("defaultAction", "SCMP_ACT_ALLOW");
      ObjectNode rule = s.putArray("syscalls").addObject();
      rule.putArray("names").add("mkdir").add("mkdirat");
      rule.put("action", "SCMP_ACT_KILL_PROCESS");
    }, "mkdir", "/tmp/x");
    Runc.Result r = runc.run("run", "--bundle", b.toString(), "sigsys");
    assertThat(r.code()).isEqualTo(128 + 31);
    assertThat(r.err()).contains("killed by SIGSYS: linux.seccomp refused a system call");
  }

  /** runtime-spec: an errno for an action that returns none MUST fail (default and per rule). */
  @Test
  void errnoRetOnlyWithAnErrnoAction() throws Exception {
    Path b = runc.bundle("b", c -> {
      ObjectNode s = ((ObjectNode) c.get("linux")).putObject("seccomp");
      s.put("defaultAction", "SCMP_ACT_ALLOW").put("defaultErrnoRet", 1);
    }, "true");
    Runc.Result r = runc.run("create", "--bundle", b.toString(), "errno1");
    assertThat(r.err()).isEqualTo("berth-runc: config.json: linux.seccomp.defaultErrnoRet: only SCMP_ACT_ERRNO and "
        + "SCMP_ACT_TRACE return an errno, not SCMP_ACT_ALLOW\n");
    assertThat(r.code()).isNotZero();
    runc.assertGone("errno1");
    Path b2 = runc.bundle("b2", c -> {
      ObjectNode s = ((ObjectNode) c.get("linux")).putObject("seccomp");
      s.put("defaultAction", "SCMP_ACT_ALLOW");
      ObjectNode rule = s.putArray("syscalls").addObject();
      rule.putArray("names").add("mkdir");
      rule.put("action", "SCMP_ACT_KILL").put("errnoRet", 5);
    }, "true");
    r = runc.run("create", "--bundle", b2.toString(), "errno2");
    assertThat(r.err()).isEqualTo("berth-runc: config.json: linux.seccomp.syscalls[0].errnoRet: only SCMP_ACT_ERRNO and "
        + "SCMP_ACT_TRACE return an errno, not SCMP_ACT_KILL\n");
    runc.assertGone("errno2");
  }

  /** runtime-spec 1.2: a relative mount destination (deprecated) is relative to "/". */
  @Test
  void relativeMountDestinationIsRelativeToRoot() throws Exception {
    Path b = runc.bundle("b", c -> ((ArrayNode) c.get("mounts")).addObject().put("destination", "scratch")
        .put("type", "tmpfs").put("source", "tmpfs"), "sh", "-c", "grep -o ' /scratch .* - [a-z]*' /proc/self/mountinfo | awk '{print $1, $NF}'");
    assertThat(runc.output(b, "reldest")).isEqualTo("/scratch tmpfs\n");
  }

  /** A config without a mount namespace: only what needs no mount. */
  static Consumer<ObjectNode> noMountNamespace(Consumer<ObjectNode> more) {
    return c -> {
      ArrayNode ns = (ArrayNode) c.get("linux").get("namespaces");
      for (int i = ns.size() - 1; i >= 0; i--) if (ns.get(i).get("type").asText().equals("mount")) ns.remove(i);
      c.putArray("mounts");
      ((ObjectNode) c.get("linux")).putArray("maskedPaths");
      ((ObjectNode) c.get("linux")).putArray("readonlyPaths");
      ((ObjectNode) c.get("root")).put("readonly", false);
      more.accept(c);
    };
  }

  static List<String> mountsUnder(Path dir) throws Exception {
    return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().filter(l -> l.contains(dir.toString())).toList();
  }

  @Test
  void withoutMountNamespaceTheRootIsEnteredWithChroot() throws Exception {
    Path b = runc.bundle("b", noMountNamespace(c -> {}), "sh", "-c", "ls /marker-of-this-rootfs && sleep 100");
    Files.writeString(b.resolve("rootfs/marker-of-this-rootfs"), "");
    List<String> before = mountsUnder(runc.tmp);
    runc.run("create", "--bundle", b.toString(), "nomnt").ok();
    int pid = runc.state("nomnt").get("pid").asInt();
    assertThat(Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/mnt")))
        .isEqualTo(Files.readSymbolicLink(Path.of("/proc/self/ns/mnt")));
    runc.run("start", "nomnt").ok();
    // its root is the rootfs; nothing was mounted on the host, not even the rootfs
    assertThat(Files.readSymbolicLink(Path.of("/proc/" + pid + "/root"))).isEqualTo(b.resolve("rootfs"));
    assertThat(mountsUnder(runc.tmp)).isEqualTo(before);
    // exec enters the same root
    assertThat(runc.run("exec", "nomnt", "ls", "/marker-of-this-rootfs").ok().out()).isEqualTo("/marker-of-this-rootfs\n");
    runc.run("delete", "--force", "nomnt").ok();
    assertThat(mountsUnder(runc.tmp)).isEqualTo(before);
    assertThat(runc.output(runc.bundle("b2", noMountNamespace(c -> {}), "echo", "chrooted"), "nomnt2"))
        .isEqualTo("chrooted\n");
  }

  @Test
  void withoutMountNamespaceWhatNeedsAMountIsRefused() throws Exception {
    record Case(Consumer<ObjectNode> edit, String message) {}
    List<Case> cases = List.of(
        new Case(c -> ((ArrayNode) c.get("linux").get("namespaces")).removeIf(n -> n.get("type").asText().equals("mount")),
            "config.json: mounts[0]: \"/proc\" needs a mount namespace: linux.namespaces has no \"mount\", so it would be mounted on the host"),
        new Case(noMountNamespace(c -> ((ObjectNode) c.get("linux")).putArray("maskedPaths").add("/proc/kcore")),
            "config.json: linux.maskedPaths: \"/proc/kcore\" needs a mount namespace"),
        new Case(noMountNamespace(c -> ((ObjectNode) c.get("linux")).putArray("readonlyPaths").add("/proc/sys")),
            "config.json: linux.readonlyPaths: \"/proc/sys\" needs a mount namespace"),
        new Case(noMountNamespace(c -> ((ObjectNode) c.get("root")).put("readonly", true)),
            "config.json: root.readonly: a read-only root needs a mount namespace"),
        new Case(noMountNamespace(c -> ((ObjectNode) c.get("process")).put("terminal", true)),
            "config.json: process.terminal: the pty at /dev/console needs a mount namespace"));
    int i = 0;
    for (Case k : cases) {
      Path b = runc.bundle("r" + i, k.edit(), "true");
      List<String> before = mountsUnder(runc.tmp);
      Runc.Result r = runc.run("create", "--bundle", b.toString(), "refused" + i);
      assertThat(r.code()).as("case %d", i).isNotZero();
      assertThat(r.err()).as("case %d", i).startsWith("berth-runc: " + k.message());
      runc.assertGone("refused" + i);
      assertThat(mountsUnder(runc.tmp)).isEqualTo(before);
      i++;
    }
  }
}
