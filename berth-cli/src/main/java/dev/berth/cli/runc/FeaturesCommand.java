package dev.berth.cli.runc;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.runtime.convert.HostSecurity;
import dev.berth.spec.SpecValidator;
import dev.berth.sys.Capabilities;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "features", description = "Print what this runtime supports (runtime-spec features.md).")
public class FeaturesCommand implements Callable<Integer> {
  @Override
  public Integer call() throws Exception {
    ObjectMapper m = new ObjectMapper();
    ObjectNode o = m.createObjectNode();
    o.put("ociVersionMin", "1.0.0").put("ociVersionMax", "1.2.0");
    array(o.putArray("hooks"), List.of("prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"));
    array(o.putArray("mountOptions"), List.of("async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec",
        "mand", "noatime", "nodev", "nodiratime", "noexec", "nosuid", "nosymfollow", "private", "rbind", "relatime",
        "remount", "ro", "rprivate", "rshared", "rslave", "runbindable", "rw", "shared", "slave", "strictatime",
        "suid", "symfollow", "sync", "unbindable"));
    ObjectNode linux = o.putObject("linux");
    array(linux.putArray("namespaces"), new TreeSet<>(SpecValidator.NAMESPACE_TYPES));
    array(linux.putArray("capabilities"), Capabilities.all());
    linux.putObject("cgroup").put("v1", true).put("v2", true).put("systemd", false).put("systemdUser", false).put("rdma", true);
    ObjectNode sec = linux.putObject("seccomp").put("enabled", true);
    array(sec.putArray("actions"), List.of("SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
        "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"));
    array(sec.putArray("operators"), List.of("SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT",
        "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"));
    array(sec.putArray("archs"), List.of("SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_X86_64"));
    linux.putObject("apparmor").put("enabled", HostSecurity.apparmor());
    linux.putObject("selinux").put("enabled", HostSecurity.selinux());
    linux.putObject("intelRdt").put("enabled", false);
    o.putObject("annotations").put("dev.berth.runtime", "berth-runc 0.1.0");
    System.out.println(m.writerWithDefaultPrettyPrinter().writeValueAsString(o));
    return 0;
  }

  private static void array(ArrayNode a, Iterable<String> items) {
    for (String s : items) a.add(s);
  }
}
