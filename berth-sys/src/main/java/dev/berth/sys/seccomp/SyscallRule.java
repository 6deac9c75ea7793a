package dev.berth.sys.seccomp;

import java.util.List;

/**
 * One entry of {@code linux.seccomp.syscalls}: the action taken when any of {@code names} is
 * called with arguments matching all of {@code args}.
 *
 * @param names    syscall names; names this libseccomp does not know are skipped, as runc does
 * @param action   SCMP_ACT_*
 * @param errnoRet errno for SCMP_ACT_ERRNO / SCMP_ACT_TRACE (null: EPERM)
 * @param args     conditions, all of which must hold (see {@link SeccompCompiler} for repeats)
 */
public record SyscallRule(List<String> names, String action, Integer errnoRet, List<ArgCondition> args) {
    public SyscallRule {
        names = SeccompProfile.copy(names, "names");
        args = SeccompProfile.copy(args, "args");
    }

    /** An unconditional rule. */
    public static SyscallRule of(String action, String... names) {
        return new SyscallRule(List.of(names), action, null, List.of());
    }
}
