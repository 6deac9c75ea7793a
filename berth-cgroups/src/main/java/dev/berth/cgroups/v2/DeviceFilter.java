package dev.berth.cgroups.v2;

import dev.berth.cgroups.Resources;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Compiles OCI device rules to a BPF_PROG_TYPE_CGROUP_DEVICE program (the v2 replacement for
 * devices.allow/deny). The context is {@code struct bpf_cgroup_dev_ctx { u32 access_type; u32 major;
 * u32 minor; }}, access_type = type (1 block, 2 char) | access (1 mknod, 2 read, 4 write) &lt;&lt; 16.
 * Rules are checked last to first (a later rule overrides an earlier one, as successive writes to
 * devices.allow/deny do); the first that matches returns 1 (allow) or 0 (deny); none: deny.
 * An allow rule matches when every requested access is in its access set; a deny rule when any is.
 */
public final class DeviceFilter {
    private DeviceFilter() {}

    // opcodes
    private static final int LDXW = 0x61, AND32K = 0x54, RSH32K = 0x74, MOV32X = 0xbc, MOV64K = 0xb7,
            JNEK = 0x55, JEQK = 0x15, EXIT = 0x95;
    private static final int R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5;

    record Insn(int code, int dst, int src, int off, int imm) {}

    /** The program as little-endian 8-byte instructions. */
    public static byte[] compile(List<Resources.DeviceRule> rules) {
        List<Insn> p = new ArrayList<>();
        p.add(new Insn(LDXW, R2, R1, 0, 0));      // r2 = access_type
        p.add(new Insn(AND32K, R2, 0, 0, 0xffff)); // r2 = device type
        p.add(new Insn(LDXW, R3, R1, 0, 0));
        p.add(new Insn(RSH32K, R3, 0, 0, 16));     // r3 = requested access
        p.add(new Insn(LDXW, R4, R1, 4, 0));       // r4 = major
        p.add(new Insn(LDXW, R5, R1, 8, 0));       // r5 = minor
        boolean decided = false;
        for (int i = rules.size() - 1; i >= 0 && !decided; i--) {
            List<Insn> block = rule(rules.get(i));
            p.addAll(block);
            // a rule with no condition decides everything: what follows would be unreachable,
            // which the verifier rejects
            decided = block.size() == 2;
        }
        if (!decided) {
            p.add(new Insn(MOV64K, R0, 0, 0, 0));
            p.add(new Insn(EXIT, 0, 0, 0, 0));
        }
        ByteBuffer b = ByteBuffer.allocate(p.size() * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (Insn in : p) {
            b.put((byte) in.code()).put((byte) ((in.src() << 4) | in.dst())).putShort((short) in.off()).putInt(in.imm());
        }
        return b.array();
    }

    static int access(String a) {
        if (a == null || a.isEmpty()) return 7;
        int m = 0;
        if (a.indexOf('m') >= 0) m |= 1;
        if (a.indexOf('r') >= 0) m |= 2;
        if (a.indexOf('w') >= 0) m |= 4;
        return m;
    }

    private static List<Insn> rule(Resources.DeviceRule r) {
        String t = r.type() == null ? "a" : r.type();
        int type = switch (t) { case "b" -> 1; case "c", "u" -> 2; default -> 0; };
        int acc = access(r.access());
        // each check is "if no match, jump over the rest of this block"; offsets patched below
        List<Insn> body = new ArrayList<>();
        List<Integer> jumps = new ArrayList<>();
        if (type != 0) { jumps.add(body.size()); body.add(new Insn(JNEK, R2, 0, 0, type)); }
        if (acc != 7) {
            body.add(new Insn(MOV32X, R1, R3, 0, 0));
            if (r.allow()) {
                body.add(new Insn(AND32K, R1, 0, 0, ~acc & 7));
                jumps.add(body.size()); body.add(new Insn(JNEK, R1, 0, 0, 0)); // asks for more than allowed
            } else {
                body.add(new Insn(AND32K, R1, 0, 0, acc));
                jumps.add(body.size()); body.add(new Insn(JEQK, R1, 0, 0, 0));  // asks for none of the denied
            }
        }
        if (r.major() != null && r.major() >= 0) { jumps.add(body.size()); body.add(new Insn(JNEK, R4, 0, 0, r.major().intValue())); }
        if (r.minor() != null && r.minor() >= 0) { jumps.add(body.size()); body.add(new Insn(JNEK, R5, 0, 0, r.minor().intValue())); }
        body.add(new Insn(MOV64K, R0, 0, 0, r.allow() ? 1 : 0));
        body.add(new Insn(EXIT, 0, 0, 0, 0));
        for (int j : jumps) {
            Insn in = body.get(j);
            body.set(j, new Insn(in.code(), in.dst(), in.src(), body.size() - j - 1, in.imm()));
        }
        return body;
    }
}
