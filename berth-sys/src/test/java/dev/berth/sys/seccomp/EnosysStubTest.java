package dev.berth.sys.seccomp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The -ENOSYS stub on architectures the test machine cannot execute, checked by interpreting
 * the whole compiled program (stub and libseccomp's part).
 */
class EnosysStubTest {
    private static final int AUDIT_ARCH_X86_64 = 0xc000003e;
    private static final int AUDIT_ARCH_I386 = 0x40000003;
    private static final int AUDIT_ARCH_AARCH64 = 0xc00000b7;
    private static final int X32 = 0x40000000;
    private static final int ALLOW = 0x7fff0000;
    private static final int ERRNO = 0x00050000;
    private static final int EPERM = 1;
    private static final int ENOSYS = 38;
    private static final int KILL_THREAD = 0;

    private static final List<SyscallRule> RULES = List.of(
            SyscallRule.of("SCMP_ACT_ALLOW", "write", "exit_group", "mkdir", "getppid"),
            SyscallRule.of("SCMP_ACT_ERRNO", "swapon")); // counts towards the highest, though denied

    private static byte[] compile(String... arches) {
        return SeccompCompiler.compile(new SeccompProfile("SCMP_ACT_ERRNO", null, List.of(arches), List.of(), null,
                RULES)).bpf();
    }

    @Test
    void x86_64Bounds() {
        byte[] bpf = compile("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32");
        // x86_64: highest named is exit_group 231
        assertThat(BpfInterpreter.run(bpf, 83, AUDIT_ARCH_X86_64)).isEqualTo(ALLOW);         // mkdir
        assertThat(BpfInterpreter.run(bpf, 167, AUDIT_ARCH_X86_64)).isEqualTo(ERRNO | EPERM); // swapon
        assertThat(BpfInterpreter.run(bpf, 63, AUDIT_ARCH_X86_64)).isEqualTo(ERRNO | EPERM);  // uname
        assertThat(BpfInterpreter.run(bpf, 231, AUDIT_ARCH_X86_64)).isEqualTo(ALLOW);
        assertThat(BpfInterpreter.run(bpf, 232, AUDIT_ARCH_X86_64)).isEqualTo(ERRNO | ENOSYS);
        assertThat(BpfInterpreter.run(bpf, 435, AUDIT_ARCH_X86_64)).isEqualTo(ERRNO | ENOSYS); // clone3
    }

    @Test
    void x32Bounds() {
        byte[] bpf = compile("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32");
        // x32 numbers carry bit 30; exit_group is X32|231 there too
        assertThat(BpfInterpreter.run(bpf, X32 | 83, AUDIT_ARCH_X86_64)).isEqualTo(ALLOW);
        assertThat(BpfInterpreter.run(bpf, X32 | 63, AUDIT_ARCH_X86_64)).isEqualTo(ERRNO | EPERM);
        assertThat(BpfInterpreter.run(bpf, X32 | 435, AUDIT_ARCH_X86_64)).isEqualTo(ERRNO | ENOSYS);
    }

    @Test
    void x32CallsWithoutX32InTheProfileAreLeftToLibseccomp() {
        byte[] bpf = compile("SCMP_ARCH_X86_64");
        assertThat(BpfInterpreter.run(bpf, 435, AUDIT_ARCH_X86_64)).isEqualTo(ERRNO | ENOSYS);
        // libseccomp's own x32 handling (bad arch: kill), not ENOSYS from the stub
        assertThat(BpfInterpreter.run(bpf, X32 | 435, AUDIT_ARCH_X86_64)).isNotEqualTo(ERRNO | ENOSYS);
    }

    @Test
    void i386Bounds() {
        byte[] bpf = compile("SCMP_ARCH_X86_64", "SCMP_ARCH_X86");
        // i386: mkdir 39, getppid 64, swapon 87, exit_group 252 (the highest)
        assertThat(BpfInterpreter.run(bpf, 39, AUDIT_ARCH_I386)).isEqualTo(ALLOW);
        assertThat(BpfInterpreter.run(bpf, 87, AUDIT_ARCH_I386)).isEqualTo(ERRNO | EPERM);
        assertThat(BpfInterpreter.run(bpf, 252, AUDIT_ARCH_I386)).isEqualTo(ALLOW);
        assertThat(BpfInterpreter.run(bpf, 253, AUDIT_ARCH_I386)).isEqualTo(ERRNO | ENOSYS);
    }

    @Test
    void unlistedArchitectureGetsLibseccompsBadArchAction() {
        byte[] bpf = compile("SCMP_ARCH_X86_64");
        assertThat(BpfInterpreter.run(bpf, 435, AUDIT_ARCH_AARCH64)).isEqualTo(KILL_THREAD);
    }

    @Test
    void aarch64Bounds() {
        byte[] bpf = compile("SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64");
        // aarch64 has no mkdir; write 64, exit_group 94, getppid 173, swapon 224 (the highest)
        assertThat(BpfInterpreter.run(bpf, 173, AUDIT_ARCH_AARCH64)).isEqualTo(ALLOW);
        assertThat(BpfInterpreter.run(bpf, 224, AUDIT_ARCH_AARCH64)).isEqualTo(ERRNO | EPERM);
        assertThat(BpfInterpreter.run(bpf, 225, AUDIT_ARCH_AARCH64)).isEqualTo(ERRNO | ENOSYS);
        assertThat(BpfInterpreter.run(bpf, 232, AUDIT_ARCH_X86_64)).isEqualTo(ERRNO | ENOSYS);
    }

    @Test
    void bigEndianArchitectureCannotJoinALittleEndianFilter() {
        assertThatThrownBy(() -> compile("SCMP_ARCH_X86_64", "SCMP_ARCH_S390X"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("linux.seccomp.architectures[1]: cannot add architecture \"SCMP_ARCH_S390X\": "
                        + "its byte order differs from the native architecture's");
    }

    @Test
    void interpreterAgreesWithTheKernelOnConditions() {
        // the same profile SeccompCompilerTest runs for real: deny world-writable mkdir
        byte[] bpf = SeccompCompiler.compile(SeccompProfile.of("SCMP_ACT_ALLOW", List.of(new SyscallRule(
                List.of("mkdir"), "SCMP_ACT_ERRNO", null, List.of(new ArgCondition(1, 2, 2, "SCMP_CMP_MASKED_EQ"))))))
                .bpf();
        assertThat(BpfInterpreter.run(bpf, 83, AUDIT_ARCH_X86_64, 0x1000, 0777)).isEqualTo(ERRNO | EPERM);
        assertThat(BpfInterpreter.run(bpf, 83, AUDIT_ARCH_X86_64, 0x1000, 0755)).isEqualTo(ALLOW);
    }
}
