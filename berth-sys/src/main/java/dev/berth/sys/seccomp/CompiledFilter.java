package dev.berth.sys.seccomp;

/**
 * A seccomp program ready for {@code seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog)}.
 *
 * @param bpf   the {@code struct sock_filter} array as the kernel reads it (8 bytes per
 *              instruction, native byte order)
 * @param flags SECCOMP_FILTER_FLAG_* bits for seccomp(2); includes
 *              {@link SeccompCompiler#FLAG_NEW_LISTENER} when a rule uses SCMP_ACT_NOTIFY
 */
public record CompiledFilter(byte[] bpf, int flags) {
    public CompiledFilter {
        if (bpf.length == 0 || bpf.length % 8 != 0) {
            throw new IllegalArgumentException("bpf: " + bpf.length + " bytes is not a whole number of instructions");
        }
        bpf = bpf.clone();
    }

    @Override
    public byte[] bpf() {
        return bpf.clone();
    }

    /** The number of BPF instructions ({@code sock_fprog.len}). */
    public int instructions() {
        return bpf.length / 8;
    }

    /** Whether installing it yields a notification fd for the listener. */
    public boolean needsListener() {
        return (flags & SeccompCompiler.FLAG_NEW_LISTENER) != 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CompiledFilter f && f.flags == flags && java.util.Arrays.equals(f.bpf, bpf);
    }

    @Override
    public int hashCode() {
        return 31 * java.util.Arrays.hashCode(bpf) + flags;
    }

    @Override
    public String toString() {
        return "CompiledFilter[" + instructions() + " instructions, flags=0x" + Integer.toHexString(flags) + "]";
    }
}
