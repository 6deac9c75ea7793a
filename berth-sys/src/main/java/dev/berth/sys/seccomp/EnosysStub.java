package dev.berth.sys.seccomp;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The -ENOSYS prefix runc's {@code patchbpf} puts in front of libseccomp's program: on each
 * architecture the profile lists, a syscall numbered above the highest one the profile names
 * returns ENOSYS instead of the default action. A profile written before a syscall existed then
 * makes glibc fall back (clone3 → clone, faccessat2 → faccessat) instead of failing with EPERM.
 *
 * <p>Generated forward, every jump relative, so the program is prepended unchanged:
 * <pre>
 *   ld  [4]                    ; seccomp_data.arch
 *   jeq ARCH_1, section_1      ; one per architecture
 *   ...
 *   ja  filter                 ; other architectures: libseccomp decides
 * section:
 *   ld  [0]                    ; seccomp_data.nr
 *   (x86_64: jset 1&lt;&lt;30 selects the x32 or the x86_64 bound)
 *   (s390/s390x: jeq 0 → ENOSYS, the multiplexer for unknown numbers)
 *   jgt MAX, enosys            ; else
 *   ja  filter
 * enosys:
 *   ret ERRNO(ENOSYS)
 * filter:
 *   libseccomp's program
 * </pre>
 */
final class EnosysStub {
    static final int AUDIT_ARCH_X86_64 = 0xc000003e;
    static final int SCMP_ARCH_X32 = 0x4000003e;
    static final int AUDIT_ARCH_S390 = 0x00000016;
    static final int AUDIT_ARCH_S390X = 0x80000016;
    private static final int X32_SYSCALL_BIT = 0x40000000;
    private static final int RET_ERRNO_ENOSYS = 0x00050000 | 38;

    private static final short LD_W_ABS = 0x20;
    private static final short JA = 0x05;
    private static final short JEQ_K = 0x15;
    private static final short JGT_K = 0x25;
    private static final short JSET_K = 0x45;
    private static final short RET_K = 0x06;

    /** Kernel limit on a seccomp program (BPF_MAXINSNS). */
    static final int MAX_INSTRUCTIONS = 4096;

    private record Insn(short code, int jt, int jf, int k) {
    }

    /** Highest syscall number per libseccomp arch token, kept in profile order. */
    private final Map<Integer, Integer> lastByArch = new LinkedHashMap<>();

    /** Records that the profile names syscall {@code nr} on libseccomp arch {@code token}. */
    void note(int token, int nr) {
        if (nr > 0) {
            lastByArch.merge(token, nr, Math::max);
        }
    }

    /** Registers an architecture (so that a profile naming none of its syscalls adds nothing). */
    void arch(int token) {
        lastByArch.putIfAbsent(token, 0);
    }

    Iterable<Integer> arches() {
        return List.copyOf(lastByArch.keySet());
    }

    /** The stub followed by {@code program}, or {@code program} itself if no arch needs a stub. */
    byte[] prepend(byte[] program) {
        // group by the kernel's arch value: x86_64 and x32 share AUDIT_ARCH_X86_64
        Map<Integer, int[]> sections = new LinkedHashMap<>(); // audit arch -> {x86_64 max, x32 max} or {max, -}
        for (Map.Entry<Integer, Integer> e : lastByArch.entrySet()) {
            if (e.getValue() <= 0) {
                continue;
            }
            int token = e.getKey();
            int audit = token == SCMP_ARCH_X32 ? AUDIT_ARCH_X86_64 : token;
            int[] bounds = sections.computeIfAbsent(audit, a -> new int[] {0, 0});
            bounds[token == SCMP_ARCH_X32 ? 1 : 0] = e.getValue();
        }
        if (sections.isEmpty()) {
            return program;
        }

        List<List<Insn>> bodies = new ArrayList<>();
        for (Map.Entry<Integer, int[]> e : sections.entrySet()) {
            bodies.add(section(e.getKey(), e.getValue()[0], e.getValue()[1]));
        }
        List<Insn> stub = new ArrayList<>();
        stub.add(new Insn(LD_W_ABS, 0, 0, 4));
        int headerEnd = 1 + sections.size() + 1; // ld, one jeq per arch, ja
        int offset = headerEnd;
        int i = 0;
        for (int audit : sections.keySet()) {
            int here = stub.size();
            stub.add(new Insn(JEQ_K, jump(offset - (here + 1)), 0, audit));
            offset += bodies.get(i++).size();
        }
        stub.add(null); // ja filter, resolved below
        for (List<Insn> body : bodies) {
            stub.addAll(body);
        }
        stub.add(new Insn(RET_K, 0, 0, RET_ERRNO_ENOSYS));
        int enosys = stub.size() - 1;
        int filter = stub.size();
        // resolve placeholders: null = "ja filter", jt/jf of -1 = "to enosys"
        for (int n = 0; n < stub.size(); n++) {
            Insn in = stub.get(n);
            if (in == null) {
                stub.set(n, new Insn(JA, 0, 0, filter - (n + 1)));
            } else if (in.jt() < 0 || in.jf() < 0) {
                int jt = in.jt() < 0 ? jump(enosys - (n + 1)) : in.jt();
                int jf = in.jf() < 0 ? jump(enosys - (n + 1)) : in.jf();
                stub.set(n, new Insn(in.code(), jt, jf, in.k()));
            }
        }
        int total = stub.size() + program.length / 8;
        if (total > MAX_INSTRUCTIONS) {
            throw new IllegalArgumentException("linux.seccomp: the compiled filter has " + total
                    + " instructions, more than the kernel's " + MAX_INSTRUCTIONS);
        }
        ByteBuffer out = ByteBuffer.allocate(stub.size() * 8 + program.length).order(ByteOrder.nativeOrder());
        for (Insn in : stub) {
            out.putShort(in.code()).put((byte) in.jt()).put((byte) in.jf()).putInt(in.k());
        }
        return out.put(program).array();
    }

    /** One arch's body; jt/jf -1 means "to enosys", a null entry "ja filter". */
    private static List<Insn> section(int audit, int max, int x32Max) {
        List<Insn> s = new ArrayList<>();
        s.add(new Insn(LD_W_ABS, 0, 0, 0));
        if (audit == AUDIT_ARCH_S390 || audit == AUDIT_ARCH_S390X) {
            s.add(new Insn(JEQ_K, -1, 0, 0));
        }
        if (audit == AUDIT_ARCH_X86_64 && max > 0 && x32Max > 0) {
            s.add(new Insn(JSET_K, 1, 0, X32_SYSCALL_BIT));    // x32 → the x32 bound
            s.add(new Insn(JGT_K, -1, 1, max));               // x86_64 bound, else ja filter
            s.add(new Insn(JGT_K, -1, 0, x32Max));
        } else if (audit == AUDIT_ARCH_X86_64 && x32Max > 0) {
            s.add(new Insn(JSET_K, 0, 1, X32_SYSCALL_BIT));    // not x32: ja filter
            s.add(new Insn(JGT_K, -1, 0, x32Max));
        } else if (audit == AUDIT_ARCH_X86_64) {
            s.add(new Insn(JSET_K, 1, 0, X32_SYSCALL_BIT));    // x32 call: libseccomp decides
            s.add(new Insn(JGT_K, -1, 0, max));
        } else {
            s.add(new Insn(JGT_K, -1, 0, max));
        }
        s.add(null);
        return s;
    }

    private static int jump(int distance) {
        if (distance < 0 || distance > 255) {
            throw new IllegalStateException("-ENOSYS stub: conditional jump of " + distance + " out of range");
        }
        return distance;
    }
}
