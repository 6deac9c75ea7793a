package dev.berth.engine.spec;

import java.util.List;
import java.util.Set;

/**
 * HostConfig {@code SecurityOpt}, parsed as dockerd parses it (moby {@code parseSecurityOpt}):
 * "no-new-privileges[=bool]", "seccomp=unconfined|builtin|&lt;profile JSON&gt;", "apparmor=NAME",
 * "label=...", "disable"; "key:value" is the old spelling of "key=value".
 *
 * @param seccomp null (the default profile), "unconfined", or a profile's JSON
 * @param apparmor the AppArmor profile asked for, or null
 * @param labels the SELinux label options
 */
public record SecurityOptions(boolean noNewPrivileges, String seccomp, String apparmor, List<String> labels) {
  private static final Set<String> TRUE = Set.of("1", "t", "T", "TRUE", "true", "True");
  private static final Set<String> FALSE = Set.of("0", "f", "F", "FALSE", "false", "False");

  /** @throws IllegalArgumentException {@code invalid --security-opt 2: "foo=bar"} (dockerd's words) */
  public static SecurityOptions parse(List<String> opts) {
    boolean nnp = false;
    String seccomp = null;
    String apparmor = null;
    List<String> labels = new java.util.ArrayList<>();
    for (String opt : opts) {
      if (opt.equals("no-new-privileges")) {
        nnp = true;
        continue;
      }
      if (opt.equals("disable")) {
        labels.add("disable");
        continue;
      }
      int at = opt.indexOf('=');
      if (at < 0) at = opt.indexOf(':');
      if (at < 0) throw new IllegalArgumentException("invalid --security-opt 1: " + GoQuote.q(opt));
      String k = opt.substring(0, at);
      String v = opt.substring(at + 1);
      switch (k) {
        case "label" -> labels.add(v);
        case "apparmor" -> apparmor = v;
        case "seccomp" -> seccomp = v.equals("builtin") ? null : v;
        case "no-new-privileges" -> {
          if (TRUE.contains(v)) nnp = true;
          else if (FALSE.contains(v)) nnp = false;
          else throw new IllegalArgumentException("invalid --security-opt 2: " + GoQuote.q(opt));
        }
        default -> throw new IllegalArgumentException("invalid --security-opt 2: " + GoQuote.q(opt));
      }
    }
    return new SecurityOptions(nnp, seccomp, apparmor, List.copyOf(labels));
  }
}
