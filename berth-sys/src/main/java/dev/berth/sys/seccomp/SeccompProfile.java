package dev.berth.sys.seccomp;

import java.util.List;

/**
 * The runtime-spec {@code linux.seccomp} object, names as in config.json.
 *
 * <p>Null lists are read as empty. Names are kept as written; {@link SeccompCompiler#compile}
 * checks them and reports the offending field ({@code linux.seccomp.syscalls[2].action}).
 *
 * @param defaultAction   SCMP_ACT_* taken for a syscall no rule matches
 * @param defaultErrnoRet errno returned by a default SCMP_ACT_ERRNO/SCMP_ACT_TRACE (null: EPERM)
 * @param architectures   SCMP_ARCH_* in addition to the native one
 * @param flags           SECCOMP_FILTER_FLAG_* for seccomp(2)
 * @param listenerPath    unix socket receiving the SCMP_ACT_NOTIFY fd (may be null)
 * @param syscalls        the rules, in order
 */
public record SeccompProfile(String defaultAction, Integer defaultErrnoRet, List<String> architectures,
        List<String> flags, String listenerPath, List<SyscallRule> syscalls) {
    public SeccompProfile {
        architectures = copy(architectures, "linux.seccomp.architectures");
        flags = copy(flags, "linux.seccomp.flags");
        syscalls = copy(syscalls, "linux.seccomp.syscalls");
    }

    /** A profile with {@code defaultAction} and rules, nothing else set. */
    public static SeccompProfile of(String defaultAction, List<SyscallRule> syscalls) {
        return new SeccompProfile(defaultAction, null, List.of(), List.of(), null, syscalls);
    }

    static <T> List<T> copy(List<T> list, String field) {
        if (list == null) {
            return List.of();
        }
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i) == null) {
                throw new IllegalArgumentException(field + "[" + i + "]: null");
            }
        }
        return List.copyOf(list);
    }
}
