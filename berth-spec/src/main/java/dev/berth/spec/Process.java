package dev.berth.spec;

import java.util.List;

/** {@code process}: what runs in the container (also the body of {@code exec --process}). */
public record Process(
    boolean terminal,
    ConsoleSize consoleSize,
    String cwd,
    List<String> env,
    List<String> args,
    List<Rlimit> rlimits,
    String apparmorProfile,
    Capabilities capabilities,
    boolean noNewPrivileges,
    Integer oomScoreAdj,
    String selinuxLabel,
    User user) {

  /** Runtime-spec 1.2 fields berth cannot apply: an error, as the spec requires, not ignored. */
  static final List<String> UNSUPPORTED = List.of("scheduler", "ioPriority", "execCPUAffinity");

  public static Process of(Node n) {
    n.requireObject();
    for (String f : UNSUPPORTED) {
      if (n.has(f)) throw n.get(f).error("not supported by berth (refused rather than ignored)");
    }
    return new Process(
        n.optBool("terminal", false),
        n.has("consoleSize") ? ConsoleSize.of(n.get("consoleSize")) : null,
        n.has("cwd") ? n.string("cwd") : "/",
        n.strings("env"),
        n.strings("args"),
        n.list("rlimits", Rlimit::of),
        n.optString("apparmorProfile"),
        n.has("capabilities") ? Capabilities.of(n.get("capabilities")) : Capabilities.NONE,
        n.optBool("noNewPrivileges", false),
        n.optInt("oomScoreAdj"),
        n.optString("selinuxLabel"),
        n.has("user") ? User.of(n.get("user")) : new User(0, 0, null, List.of()));
  }

  public record ConsoleSize(int height, int width) {
    static ConsoleSize of(Node n) {
      n.requireObject();
      return new ConsoleSize((int) n.unsigned("height"), (int) n.unsigned("width"));
    }
  }

  public record Rlimit(String type, long hard, long soft) {
    static Rlimit of(Node n) {
      n.requireObject();
      return new Rlimit(n.string("type"), n.unsigned("hard"), n.unsigned("soft"));
    }
  }

  public record User(long uid, long gid, Integer umask, List<Long> additionalGids) {
    static User of(Node n) {
      n.requireObject();
      return new User(n.unsigned("uid"), n.unsigned("gid"), n.optInt("umask"),
          n.list("additionalGids", e -> {
            long v = e.integer();
            if (v < 0 && !(e.json() instanceof java.math.BigInteger)) throw e.error("expected an unsigned integer, got " + v);
            return v;
          }));
    }
  }

  public record Capabilities(List<String> bounding, List<String> effective, List<String> inheritable,
      List<String> permitted, List<String> ambient) {
    public static final Capabilities NONE = new Capabilities(List.of(), List.of(), List.of(), List.of(), List.of());

    static Capabilities of(Node n) {
      n.requireObject();
      return new Capabilities(n.strings("bounding"), n.strings("effective"), n.strings("inheritable"),
          n.strings("permitted"), n.strings("ambient"));
    }
  }
}
