package dev.berth.cgroups;

import dev.berth.cgroups.v2.DeviceFilter;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The v2 device program, run by a small interpreter of the instructions it uses (no kernel needed). */
class DeviceFilterTest {
    static final int BLOCK = 1, CHAR = 2, MKNOD = 1, READ = 2, WRITE = 4;

    static long run(byte[] prog, int type, int access, int major, int minor) {
        ByteBuffer b = ByteBuffer.wrap(prog).order(ByteOrder.LITTLE_ENDIAN);
        long[] r = new long[11];
        int[] ctx = {type | (access << 16), major, minor};
        int pc = 0;
        for (int steps = 0; steps < 10_000; steps++) {
            int code = b.get(pc * 8) & 0xff, regs = b.get(pc * 8 + 1) & 0xff;
            int dst = regs & 0xf, src = regs >> 4, off = b.getShort(pc * 8 + 2), imm = b.getInt(pc * 8 + 4);
            pc++;
            switch (code) {
                case 0x61 -> r[dst] = ctx[off / 4] & 0xffffffffL;               // ldxw (r1 = ctx)
                case 0x54 -> r[dst] = (r[dst] & imm) & 0xffffffffL;            // and32
                case 0x74 -> r[dst] = (r[dst] & 0xffffffffL) >>> imm;          // rsh32
                case 0xbc -> r[dst] = r[src] & 0xffffffffL;                    // mov32 reg
                case 0xb7 -> r[dst] = imm;                                     // mov64 imm
                case 0x55 -> { if (r[dst] != (imm & 0xffffffffL)) pc += off; } // jne
                case 0x15 -> { if (r[dst] == (imm & 0xffffffffL)) pc += off; } // jeq
                case 0x95 -> { return r[0]; }
                default -> throw new IllegalStateException("opcode " + Integer.toHexString(code));
            }
        }
        throw new IllegalStateException("no exit");
    }

    @Test
    void laterRulesOverrideEarlierOnes() {
        byte[] p = DeviceFilter.compile(List.of(
                Resources.DeviceRule.denyAll(),
                Resources.DeviceRule.allowChar(1, 3, "rwm"),
                new Resources.DeviceRule(true, "c", 1L, 5L, "rw"),
                new Resources.DeviceRule(false, "c", 1L, 5L, "w"),
                new Resources.DeviceRule(true, "c", 136L, null, "rw")));
        assertThat(run(p, CHAR, READ | WRITE, 1, 3)).isEqualTo(1);
        assertThat(run(p, CHAR, MKNOD, 1, 3)).isEqualTo(1);
        assertThat(run(p, CHAR, READ, 1, 7)).isZero();
        assertThat(run(p, CHAR, READ, 1, 5)).isEqualTo(1);
        assertThat(run(p, CHAR, WRITE, 1, 5)).isZero();
        assertThat(run(p, CHAR, MKNOD, 1, 5)).isZero();     // not in "rw"
        assertThat(run(p, BLOCK, READ, 1, 3)).isZero();     // type matters
        assertThat(run(p, CHAR, READ | WRITE, 136, 42)).isEqualTo(1); // minor wildcard
        assertThat(run(p, CHAR, MKNOD, 136, 42)).isZero();
    }

    @Test
    void allowAllAndEmpty() {
        byte[] all = DeviceFilter.compile(List.of(new Resources.DeviceRule(true, "a", null, null, "rwm")));
        assertThat(run(all, BLOCK, READ | WRITE | MKNOD, 8, 0)).isEqualTo(1);
        byte[] none = DeviceFilter.compile(List.of());
        assertThat(run(none, CHAR, READ, 1, 3)).isZero();
    }
}
