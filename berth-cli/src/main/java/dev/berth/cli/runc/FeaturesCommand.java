package dev.berth.cli.runc;

import dev.berth.spec.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import dev.berth.runtime.convert.HostSecurity;
import dev.berth.spec.SpecValidator;
import dev.berth.sys.Capabilities;
import java.util.List;
import java.util.TreeSet;

/** features: what this runtime supports, in the runtime-spec features.md shape. */
final class FeaturesCommand implements RuncCommand {
  public String name() {
    return "features";
  }

  public String summary() {
    return "Print what this runtime supports (runtime-spec features).";
  }

  public String arguments() {
    return "";
  }

  public List<Flag> flags() {
    return List.of();
  }

  public int run(Global g, Args a) throws Exception {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("ociVersionMin", "1.0.0");
    o.put("ociVersionMax", "1.2.0");
    o.put("hooks", List.of("prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"));
    o.put("mountOptions", List.of("async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec",
        "mand", "noatime", "nodev", "nodiratime", "noexec", "nosuid", "nosymfollow", "private", "rbind", "relatime",
        "remount", "ro", "rprivate", "rshared", "rslave", "runbindable", "rw", "shared", "slave", "strictatime",
        "suid", "symfollow", "sync", "unbindable"));
    Map<String, Object> linux = new LinkedHashMap<>();
    o.put("linux", linux);
    linux.put("namespaces", new ArrayList<>(new TreeSet<>(SpecValidator.NAMESPACE_TYPES)));
    linux.put("capabilities", Capabilities.all());
    linux.put("cgroup", Map.of("v1", true, "v2", true, "systemd", false, "systemdUser", false, "rdma", true));
    Map<String, Object> sec = new LinkedHashMap<>();
    linux.put("seccomp", sec);
    sec.put("enabled", true);
    sec.put("actions", List.of("SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
        "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"));
    sec.put("operators", List.of("SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT",
        "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"));
    sec.put("archs", List.of("SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_X86_64"));
    linux.put("apparmor", Map.of("enabled", HostSecurity.apparmor()));
    linux.put("selinux", Map.of("enabled", HostSecurity.selinux()));
    linux.put("intelRdt", Map.of("enabled", false));
    o.put("annotations", Map.of("dev.berth.runtime", Runc.VERSION));
    System.out.println(Json.pretty(o));
    return 0;
  }
}
