package dev.berth.runtime.convert;

import dev.berth.spec.Node;
import dev.berth.sys.seccomp.SeccompCompiler;
import dev.berth.sys.seccomp.SeccompProfile;
import java.util.List;

/** {@code linux.seccomp} → a profile → BPF (compiled here, installed as is by the launcher). */
public final class SeccompConverter {
  public record Compiled(byte[] bpf, int flags) {}

  private SeccompConverter() {}

  public static Compiled compile(Node n) {
    if (n == null || !n.present()) return new Compiled(null, 0);
    n.requireObject();
    List<dev.berth.sys.seccomp.SyscallRule> rules = n.list("syscalls", r -> {
      r.requireObject();
      return new dev.berth.sys.seccomp.SyscallRule(r.strings("names"), r.string("action"), r.optInt("errnoRet"),
          r.list("args", a -> {
            a.requireObject();
            Long two = a.optLong("valueTwo");
            return new dev.berth.sys.seccomp.ArgCondition((int) a.unsigned("index"), a.integer("value"),
                two == null ? 0 : two, a.string("op"));
          }));
    });
    SeccompProfile profile = new SeccompProfile(n.string("defaultAction"), n.optInt("defaultErrnoRet"),
        n.strings("architectures"), n.strings("flags"), n.optString("listenerPath"), rules);
    try {
      var c = SeccompCompiler.compile(profile);
      return new Compiled(c.bpf(), c.flags());
    } catch (IllegalArgumentException e) {
      throw new dev.berth.spec.SpecException("", e.getMessage());
    }
  }
}
