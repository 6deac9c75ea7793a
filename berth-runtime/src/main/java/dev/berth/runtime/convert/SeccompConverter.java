package dev.berth.runtime.convert;

import dev.berth.spec.Json;
import dev.berth.spec.Node;
import dev.berth.spec.SpecException;
import dev.berth.sys.seccomp.ArgCondition;
import dev.berth.sys.seccomp.SeccompCompiler;
import dev.berth.sys.seccomp.SeccompProfile;
import dev.berth.sys.seccomp.SyscallRule;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * {@code linux.seccomp} → a profile → BPF (compiled here, installed as is by the launcher).
 *
 * <p>containerd and podman hand every container the same large profile; compiling it means
 * loading libseccomp through FFM, which costs more than the rest of a start. Compiled filters are
 * therefore kept in a root-only directory under the state root, named by the SHA-256 of the
 * profile's JSON: the same profile is compiled once per boot (the state root is on tmpfs).
 */
public final class SeccompConverter {
  public record Compiled(byte[] bpf, int flags) {}

  private SeccompConverter() {}

  public static Compiled compile(Node n) {
    return compile(n, null);
  }

  /** @param cacheDir where compiled filters are kept (created 0700), or null for no cache */
  public static Compiled compile(Node n, Path cacheDir) {
    if (n == null || !n.present()) return new Compiled(null, 0);
    n.requireObject();
    checkStartable(n);
    Path cached = cacheDir == null ? null : cacheDir.resolve(key(n) + ".bpf");
    if (cached != null) {
      Compiled hit = read(cacheDir, cached);
      if (hit != null) return hit;
    }
    Compiled c = compileNow(n);
    if (cached != null) write(cacheDir, cached, c);
    return c;
  }

  private static Compiled compileNow(Node n) {
    List<SyscallRule> rules = n.list("syscalls", r -> {
      r.requireObject();
      return new SyscallRule(r.strings("names"), r.string("action"), r.optInt("errnoRet"),
          r.list("args", a -> {
            a.requireObject();
            Long two = a.optLong("valueTwo");
            return new ArgCondition((int) a.unsigned("index"), a.integer("value"), two == null ? 0 : two, a.string("op"));
          }));
    });
    SeccompProfile profile = new SeccompProfile(n.string("defaultAction"), n.optInt("defaultErrnoRet"),
        n.strings("architectures"), n.strings("flags"), n.optString("listenerPath"), rules);
    try {
      var c = SeccompCompiler.compile(profile);
      return new Compiled(c.bpf(), c.flags());
    } catch (IllegalArgumentException e) {
      throw new SpecException("", e.getMessage());
    }
  }

  private static final List<String> REFUSING =
      List.of("SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP");

  private static final List<String> ERRNO_ACTIONS = List.of("SCMP_ACT_ERRNO", "SCMP_ACT_TRACE");

  /** Syscalls without which any process crashes (cannot exit, return from a signal, get memory). */
  private static final List<String> ESSENTIAL = List.of("exit_group", "exit", "rt_sigreturn", "brk", "mmap", "munmap");

  /**
   * What the profile does with {@code syscall} whatever its arguments: the action of the first rule
   * naming it without argument conditions, null when only conditional rules name it (it depends),
   * else the default action.
   */
  static String actionFor(Node n, String syscall) {
    boolean conditional = false;
    for (Node r : n.list("syscalls", r -> r)) {
      r.requireObject();
      if (!r.strings("names").contains(syscall)) continue;
      if (r.list("args", a -> a).isEmpty()) return r.string("action");
      conditional = true;
    }
    return conditional ? null : n.string("defaultAction");
  }

  /**
   * The launcher's last call is execve, made under the filter: a profile that refuses it whatever
   * its arguments can never start the process (runc fails at start with a bare errno, or the
   * process dies of SIGSYS); refused here, at create, naming the cause.
   */
  static void checkStartable(Node n) {
    // runtime-spec: an errno for an action that returns none MUST fail
    if (n.has("defaultErrnoRet") && !ERRNO_ACTIONS.contains(n.string("defaultAction"))) {
      throw new SpecException("linux.seccomp.defaultErrnoRet", "only SCMP_ACT_ERRNO and SCMP_ACT_TRACE return an errno, not "
          + n.string("defaultAction"));
    }
    List<Node> rules = n.list("syscalls", r -> r);
    for (int i = 0; i < rules.size(); i++) {
      Node r = rules.get(i).requireObject();
      if (r.has("errnoRet") && !ERRNO_ACTIONS.contains(r.string("action"))) {
        throw new SpecException("linux.seccomp.syscalls[" + i + "].errnoRet",
            "only SCMP_ACT_ERRNO and SCMP_ACT_TRACE return an errno, not " + r.string("action"));
      }
    }
    String action = actionFor(n, "execve");
    if (action != null && REFUSING.contains(action)) {
      throw new SpecException("linux.seccomp", "the profile refuses execve (" + action
          + "): the container's process could never be started; allow execve");
    }
  }

  /**
   * The launcher's words when the process is killed by a signal (plan {@code T_SECCOMP} field 2):
   * which essential syscalls the profile refuses, or "" when none. A process whose exit_group is
   * refused dies of SIGSEGV when it tries to exit (glibc falls through to an illegal instruction).
   */
  public static String deathHint(Node n) {
    if (n == null || !n.present()) return "";
    List<String> refused = new java.util.ArrayList<>();
    String how = null;
    for (String s : ESSENTIAL) {
      String a = actionFor(n, s);
      if (a != null && REFUSING.contains(a)) {
        refused.add(s);
        how = how == null ? a : how;
      }
    }
    if (refused.isEmpty()) return "";
    return "linux.seccomp refuses " + String.join(", ", refused) + " (" + how
        + "): a process that cannot exit or get memory is killed by the kernel when it tries";
  }

  private static String key(Node n) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update("berth-seccomp-v1\n".getBytes(StandardCharsets.US_ASCII));
      d.update(Json.render(n.json()).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Cache file: 4-byte flags, then the BPF. Only trusted in a root-only directory. */
  private static Compiled read(Path dir, Path file) {
    try {
      if (!trusted(dir)) return null;
      byte[] b = Files.readAllBytes(file);
      if (b.length < 4 || (b.length - 4) % 8 != 0) return null;
      int flags = ByteBuffer.wrap(b, 0, 4).getInt();
      return new Compiled(java.util.Arrays.copyOfRange(b, 4, b.length), flags);
    } catch (IOException e) {
      return null;
    }
  }

  private static void write(Path dir, Path file, Compiled c) {
    if (c.bpf() == null) return;
    try {
      if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
      if (!trusted(dir)) return;
      Path tmp = Files.createTempFile(dir, ".bpf", ".tmp");
      Files.write(tmp, ByteBuffer.allocate(4 + c.bpf().length).putInt(c.flags()).put(c.bpf()).array());
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException | UnsupportedOperationException e) {
      // no cache: compile next time
    }
  }

  private static boolean trusted(Path dir) throws IOException {
    return Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
        && Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS).equals(PosixFilePermissions.fromString("rwx------"))
        && Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS).getName().equals(System.getProperty("user.name"));
  }
}
