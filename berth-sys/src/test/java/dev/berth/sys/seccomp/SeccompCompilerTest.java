package dev.berth.sys.seccomp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compiles profiles with the real libseccomp and proves each program by installing it in a child
 * process (src/test/c/seccomp_probe.c) and watching what the kernel does to its syscalls.
 */
class SeccompCompilerTest {
    private static final int EPERM = 1;
    private static final int EACCES = 13;
    private static final int ENOSYS = 38;
    private static final int SIGSYS = 31;

    @TempDir
    Path tmp;

    @BeforeAll
    static void libseccompIsThere() throws Exception {
        assertThat(SeccompCompiler.available()).as(SeccompCompiler.unavailableReason()).isTrue();
        assertThat(SeccompCompiler.unavailableReason()).isNull();
        assertThat(SeccompCompiler.libraryVersion()).matches("2\\.\\d+\\.\\d+");
        SeccompProbe.build();
    }

    private String mkdir(String name, String mode) {
        return "mkdir:" + tmp.resolve(name) + ":" + mode;
    }

    private List<String> probe(SeccompProfile profile, String... ops) throws Exception {
        SeccompProbe.Result r = SeccompProbe.run(SeccompCompiler.compile(profile), tmp, ops);
        assertThat(r.exitValue()).as("probe exit; stderr: %s", r.stderr()).isZero();
        return r.lines();
    }

    @Test
    void allowAllLetsMkdirThrough() throws Exception {
        CompiledFilter f = SeccompCompiler.compile(SeccompProfile.of("SCMP_ACT_ALLOW", List.of()));
        assertThat(f.instructions()).isPositive();
        assertThat(f.flags()).isZero();
        assertThat(probe(SeccompProfile.of("SCMP_ACT_ALLOW", List.of()), mkdir("a", "755"), "getppid"))
                .containsExactly("mkdir 0", "getppid 0");
        assertThat(tmp.resolve("a")).isDirectory();
    }

    @Test
    void errnoRuleDeniesWithEpermByDefault() throws Exception {
        SeccompProfile p = SeccompProfile.of("SCMP_ACT_ALLOW", List.of(SyscallRule.of("SCMP_ACT_ERRNO", "mkdir", "mkdirat")));
        assertThat(probe(p, mkdir("a", "755"), "getppid")).containsExactly("mkdir errno " + EPERM, "getppid 0");
        assertThat(tmp.resolve("a")).doesNotExist();
    }

    @Test
    void errnoRetIsReturned() throws Exception {
        SeccompProfile p = SeccompProfile.of("SCMP_ACT_ALLOW", List.of(
                new SyscallRule(List.of("mkdir"), "SCMP_ACT_ERRNO", ENOSYS, List.of()),
                new SyscallRule(List.of("getppid"), "SCMP_ACT_ERRNO", EACCES, null)));
        assertThat(probe(p, mkdir("a", "755"), "getppid", "uname"))
                .containsExactly("mkdir errno " + ENOSYS, "getppid errno " + EACCES, "uname 0");
    }

    @Test
    void defaultErrnoWithAnAllowList() throws Exception {
        SeccompProfile p = new SeccompProfile("SCMP_ACT_ERRNO", EACCES, List.of("SCMP_ARCH_X86_64"), List.of(), null,
                List.of(SyscallRule.of("SCMP_ACT_ALLOW", "write", "exit_group", "mkdir")));
        assertThat(probe(p, mkdir("a", "700"), "getppid", "uname"))
                .containsExactly("mkdir 0", "getppid errno " + EACCES, "uname errno " + EACCES);
    }

    @Test
    void syscallsNewerThanTheProfileGetEnosys() throws Exception {
        // highest named x86_64 syscall: exit_group (231); mkdirat is 258, getppid 110
        SeccompProfile p = new SeccompProfile("SCMP_ACT_ERRNO", null,
                List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"), List.of(), null,
                List.of(SyscallRule.of("SCMP_ACT_ALLOW", "write", "exit_group", "mkdir")));
        assertThat(probe(p, mkdir("a", "700"), "mkdirat:" + tmp.resolve("b") + ":700", "getppid"))
                .containsExactly("mkdir 0", "mkdirat errno " + ENOSYS, "getppid errno " + EPERM);

        // runc adds no stub when the default returns ENOSYS already, lets calls through, or no arch is listed
        SeccompProfile noArch = new SeccompProfile("SCMP_ACT_ERRNO", null, List.of(), List.of(), null, p.syscalls());
        assertThat(probe(noArch, "mkdirat:" + tmp.resolve("c") + ":700")).containsExactly("mkdirat errno " + EPERM);
        SeccompProfile allow = new SeccompProfile("SCMP_ACT_ALLOW", null, p.architectures(), List.of(), null,
                List.of(SyscallRule.of("SCMP_ACT_ERRNO", "mkdir")));
        assertThat(probe(allow, "mkdirat:" + tmp.resolve("d") + ":700")).containsExactly("mkdirat 0");
        SeccompProfile enosysDefault = new SeccompProfile("SCMP_ACT_ERRNO", ENOSYS, p.architectures(), List.of(), null,
                p.syscalls());
        SeccompProfile enosysNoArch = new SeccompProfile("SCMP_ACT_ERRNO", ENOSYS, List.of(), List.of(), null,
                p.syscalls());
        assertThat(SeccompCompiler.compile(enosysDefault).instructions())
                .isGreaterThan(SeccompCompiler.compile(enosysNoArch).instructions()); // arches, but no stub
        assertThat(probe(enosysDefault, "getppid")).containsExactly("getppid errno " + ENOSYS);
    }

    @Test
    void enosysStubWithX86_64Only() throws Exception {
        SeccompProfile p = new SeccompProfile("SCMP_ACT_ERRNO", EACCES, List.of("SCMP_ARCH_X86_64"), List.of(), null,
                List.of(SyscallRule.of("SCMP_ACT_ALLOW", "write", "exit_group", "mkdir", "getppid")));
        assertThat(probe(p, "mkdirat:" + tmp.resolve("b") + ":700", "uname", "getppid"))
                .containsExactly("mkdirat errno " + ENOSYS, "uname errno " + EACCES, "getppid 0");
    }

    @Test
    void argConditionsSelectByValue() throws Exception {
        // deny mkdir(path, 0700) only: arg 1 is the mode
        SeccompProfile p = SeccompProfile.of("SCMP_ACT_ALLOW", List.of(new SyscallRule(List.of("mkdir"),
                "SCMP_ACT_ERRNO", null, List.of(ArgCondition.of(1, "SCMP_CMP_EQ", 0700)))));
        assertThat(probe(p, mkdir("a", "700"), mkdir("b", "755")))
                .containsExactly("mkdir errno " + EPERM, "mkdir 0");
    }

    @Test
    void maskedEqualCompares() throws Exception {
        // deny world-writable modes: (mode & 0002) == 0002
        SeccompProfile p = SeccompProfile.of("SCMP_ACT_ALLOW", List.of(new SyscallRule(List.of("mkdir"),
                "SCMP_ACT_ERRNO", null, List.of(new ArgCondition(1, 0002, 0002, "SCMP_CMP_MASKED_EQ")))));
        assertThat(probe(p, mkdir("a", "777"), mkdir("b", "775"), mkdir("c", "702")))
                .containsExactly("mkdir errno " + EPERM, "mkdir 0", "mkdir errno " + EPERM);
    }

    @Test
    void conditionsOnDifferentArgumentsAreAnded() throws Exception {
        // mode >= 0700 AND path pointer != 0 (always true): ORed, 0600 would be denied too
        SeccompProfile p = SeccompProfile.of("SCMP_ACT_ALLOW", List.of(new SyscallRule(List.of("mkdir"),
                "SCMP_ACT_ERRNO", null, List.of(ArgCondition.of(1, "SCMP_CMP_GE", 0700),
                        ArgCondition.of(0, "SCMP_CMP_NE", 0)))));
        assertThat(probe(p, mkdir("a", "700"), mkdir("b", "600"), mkdir("c", "755")))
                .containsExactly("mkdir errno " + EPERM, "mkdir 0", "mkdir errno " + EPERM);
    }

    @Test
    void repeatedIndexBecomesOneRulePerCondition() throws Exception {
        // runc semantics: two conditions on arg 1 -> two rules, either one denies
        SeccompProfile p = SeccompProfile.of("SCMP_ACT_ALLOW", List.of(new SyscallRule(List.of("mkdir"),
                "SCMP_ACT_ERRNO", null, List.of(ArgCondition.of(1, "SCMP_CMP_EQ", 0700),
                        ArgCondition.of(1, "SCMP_CMP_EQ", 0711)))));
        assertThat(probe(p, mkdir("a", "700"), mkdir("b", "711"), mkdir("c", "755")))
                .containsExactly("mkdir errno " + EPERM, "mkdir errno " + EPERM, "mkdir 0");
    }

    @Test
    void killProcessEndsTheChildWithSigsys() throws Exception {
        SeccompProfile p = SeccompProfile.of("SCMP_ACT_ALLOW", List.of(SyscallRule.of("SCMP_ACT_KILL_PROCESS", "getppid")));
        SeccompProbe.Result r = SeccompProbe.run(SeccompCompiler.compile(p), tmp, mkdir("a", "755"), "getppid", "uname");
        assertThat(r.lines()).containsExactly("mkdir 0");
        assertThat(r.exitValue()).isEqualTo(128 + SIGSYS);
    }

    @Test
    void unknownSyscallNamesAreSkipped() throws Exception {
        SeccompProfile p = SeccompProfile.of("SCMP_ACT_ALLOW",
                List.of(SyscallRule.of("SCMP_ACT_ERRNO", "no_such_syscall_in_any_kernel", "mkdir")));
        assertThat(probe(p, mkdir("a", "755"))).containsExactly("mkdir errno " + EPERM);
    }

    @Test
    void ruleWithTheDefaultActionIsSkipped() {
        CompiledFilter plain = SeccompCompiler.compile(SeccompProfile.of("SCMP_ACT_ALLOW", List.of()));
        CompiledFilter redundant = SeccompCompiler.compile(SeccompProfile.of("SCMP_ACT_ALLOW",
                List.of(SyscallRule.of("SCMP_ACT_ALLOW", "mkdir", "getppid"))));
        assertThat(redundant).isEqualTo(plain);
    }

    @Test
    void moreArchitecturesMeanMoreCode() throws Exception {
        SyscallRule deny = SyscallRule.of("SCMP_ACT_ERRNO", "mkdir");
        CompiledFilter nativeOnly = SeccompCompiler.compile(SeccompProfile.of("SCMP_ACT_ALLOW", List.of(deny)));
        SeccompProfile multi = new SeccompProfile("SCMP_ACT_ALLOW", null,
                List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"), List.of(), null, List.of(deny));
        assertThat(SeccompCompiler.compile(multi).instructions()).isGreaterThan(nativeOnly.instructions());
        assertThat(probe(multi, mkdir("a", "755"))).containsExactly("mkdir errno " + EPERM);
    }

    @Test
    void longProfilesAreOptimisedAndStillRight() throws Exception {
        List<SyscallRule> rules = new ArrayList<>();
        for (String name : List.of("acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "create_module",
                "delete_module", "finit_module", "get_kernel_syms", "get_mempolicy", "init_module", "ioperm",
                "iopl", "kcmp", "kexec_file_load", "kexec_load", "keyctl", "lookup_dcookie", "mbind",
                "mount", "move_pages", "nfsservctl", "open_by_handle_at", "perf_event_open", "personality",
                "pivot_root", "process_vm_readv", "process_vm_writev", "ptrace", "query_module", "quotactl",
                "reboot", "request_key", "set_mempolicy", "setns", "settimeofday", "stime", "swapoff",
                "swapon", "sysfs", "umount2", "unshare", "uselib", "userfaultfd", "ustat", "vm86", "mkdir")) {
            rules.add(SyscallRule.of("SCMP_ACT_ERRNO", name));
        }
        assertThat(rules).hasSizeGreaterThan(32);
        assertThat(probe(SeccompProfile.of("SCMP_ACT_ALLOW", rules), mkdir("a", "755"), "getppid"))
                .containsExactly("mkdir errno " + EPERM, "getppid 0");
    }

    @Test
    void flagsBecomeKernelBits() throws Exception {
        SeccompProfile p = new SeccompProfile("SCMP_ACT_ALLOW", null, List.of(),
                List.of("SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"), null,
                List.of(SyscallRule.of("SCMP_ACT_ERRNO", "mkdir")));
        CompiledFilter f = SeccompCompiler.compile(p);
        assertThat(f.flags()).isEqualTo(SeccompCompiler.FLAG_LOG | SeccompCompiler.FLAG_SPEC_ALLOW);
        assertThat(f.needsListener()).isFalse();
        // the kernel accepts them
        assertThat(probe(p, mkdir("a", "755"))).containsExactly("mkdir errno " + EPERM);

        SeccompProfile all = new SeccompProfile("SCMP_ACT_ALLOW", null, List.of(),
                List.of("SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"), null, List.of());
        assertThat(SeccompCompiler.compile(all).flags())
                .isEqualTo(SeccompCompiler.FLAG_TSYNC | SeccompCompiler.FLAG_WAIT_KILLABLE_RECV);
    }

    @Test
    void notifyAsksForAListener() {
        SeccompProfile p = new SeccompProfile("SCMP_ACT_ALLOW", null, List.of(), List.of("SECCOMP_FILTER_FLAG_TSYNC"),
                "/run/agent.sock", List.of(SyscallRule.of("SCMP_ACT_NOTIFY", "mkdir")));
        CompiledFilter f = SeccompCompiler.compile(p);
        assertThat(f.needsListener()).isTrue();
        assertThat(f.flags()).isEqualTo(SeccompCompiler.FLAG_TSYNC | SeccompCompiler.FLAG_NEW_LISTENER
                | SeccompCompiler.FLAG_TSYNC_ESRCH);
    }

    @Test
    void profileErrorsNameTheField() {
        SyscallRule ok = SyscallRule.of("SCMP_ACT_ERRNO", "mkdir");
        assertThatThrownBy(() -> SeccompCompiler.compile(SeccompProfile.of("SCMP_ACT_ALLOW",
                List.of(ok, ok, SyscallRule.of("SCMP_ACT_FOO", "mkdir")))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("linux.seccomp.syscalls[2].action: unknown action \"SCMP_ACT_FOO\"");
        assertThatThrownBy(() -> SeccompCompiler.compile(SeccompProfile.of("ALLOW", List.of())))
                .hasMessage("linux.seccomp.defaultAction: unknown action \"ALLOW\"");
        assertThatThrownBy(() -> SeccompCompiler.compile(SeccompProfile.of(null, List.of())))
                .hasMessage("linux.seccomp.defaultAction: unknown action \"null\"");
        assertThatThrownBy(() -> SeccompCompiler.compile(SeccompProfile.of("SCMP_ACT_ALLOW", List.of(
                new SyscallRule(List.of("mkdir"), "SCMP_ACT_ERRNO", null,
                        List.of(ArgCondition.of(0, "SCMP_CMP_EQ", 1), ArgCondition.of(1, "SCMP_CMP_SAME", 1)))))))
                .hasMessage("linux.seccomp.syscalls[0].args[1].op: unknown operator \"SCMP_CMP_SAME\"");
        assertThatThrownBy(() -> SeccompCompiler.compile(SeccompProfile.of("SCMP_ACT_ALLOW", List.of(
                new SyscallRule(List.of("mkdir"), "SCMP_ACT_ERRNO", null, List.of(ArgCondition.of(6, "SCMP_CMP_EQ", 1)))))))
                .hasMessage("linux.seccomp.syscalls[0].args[0].index: 6 is not in 0..5");
        assertThatThrownBy(() -> SeccompCompiler.compile(new SeccompProfile("SCMP_ACT_ALLOW", null,
                List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_Z80"), List.of(), null, List.of())))
                .hasMessage("linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_Z80\"");
        assertThatThrownBy(() -> SeccompCompiler.compile(new SeccompProfile("SCMP_ACT_ALLOW", null,
                List.of(), List.of("SECCOMP_FILTER_FLAG_BOGUS"), null, List.of())))
                .hasMessage("linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_BOGUS\"");
        assertThatThrownBy(() -> SeccompCompiler.compile(new SeccompProfile("SCMP_ACT_ERRNO", 70000,
                List.of(), List.of(), null, List.of())))
                .hasMessage("linux.seccomp.defaultErrnoRet: 70000 is not in 0..65535");
        assertThatThrownBy(() -> SeccompCompiler.compile(SeccompProfile.of("SCMP_ACT_ALLOW",
                List.of(new SyscallRule(List.of(), "SCMP_ACT_ERRNO", null, null)))))
                .hasMessage("linux.seccomp.syscalls[0].names: must name at least one syscall");
        assertThatThrownBy(() -> SeccompCompiler.compile(SeccompProfile.of("SCMP_ACT_NOTIFY", List.of())))
                .hasMessage("linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
        assertThatThrownBy(() -> SeccompCompiler.compile(SeccompProfile.of("SCMP_ACT_ALLOW",
                List.of(SyscallRule.of("SCMP_ACT_NOTIFY", "mkdir")))))
                .hasMessage("linux.seccomp.listenerPath: required when SCMP_ACT_NOTIFY is used");
        assertThatThrownBy(() -> SeccompCompiler.compile(new SeccompProfile("SCMP_ACT_ALLOW", null, null, null,
                "/run/a.sock", List.of(ok, SyscallRule.of("SCMP_ACT_NOTIFY", "read", "write")))))
                .hasMessage("linux.seccomp.syscalls[1].names: SCMP_ACT_NOTIFY cannot be used for the write syscall");
    }

    @Test
    void everySpecActionCompiles() {
        for (String action : List.of("SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
                "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_TRACE", "SCMP_ACT_LOG")) {
            SeccompProfile p = new SeccompProfile(action, null, List.of(), List.of(), "/run/a.sock",
                    List.of(SyscallRule.of("SCMP_ACT_NOTIFY", "mkdir"), SyscallRule.of("SCMP_ACT_LOG", "getppid")));
            assertThat(SeccompCompiler.compile(p).instructions()).as(action).isPositive();
        }
    }
}
