package dev.berth.sys.seccomp;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A classic-BPF interpreter over {@code struct seccomp_data}, for checking compiled programs on
 * architectures this machine cannot run (i386, x32, s390x). Follows the kernel's semantics:
 * unsigned comparisons, jumps relative to the next instruction.
 */
final class BpfInterpreter {
    private BpfInterpreter() {
    }

    /** The SECCOMP_RET_* value {@code bpf} returns for syscall {@code nr} on audit arch {@code arch}. */
    static int run(byte[] bpf, int nr, int arch, long... args) {
        ByteBuffer data = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        data.putInt(0, nr).putInt(4, arch);
        for (int i = 0; i < args.length; i++) {
            data.putLong(16 + 8 * i, args[i]);
        }
        ByteBuffer prog = ByteBuffer.wrap(bpf).order(ByteOrder.nativeOrder());
        int n = bpf.length / 8;
        int a = 0;
        int x = 0;
        int[] mem = new int[16];
        for (int pc = 0; pc < n; pc++) {
            int code = prog.getShort(pc * 8) & 0xffff;
            int jt = prog.get(pc * 8 + 2) & 0xff;
            int jf = prog.get(pc * 8 + 3) & 0xff;
            int k = prog.getInt(pc * 8 + 4);
            switch (code & 0x07) {
                case 0x00 -> a = switch (code) { // LD
                    case 0x20 -> data.getInt(k);
                    case 0x00 -> k;
                    case 0x60 -> mem[k];
                    default -> throw unsupported(code, pc);
                };
                case 0x01 -> x = switch (code) { // LDX
                    case 0x01 -> k;
                    case 0x61 -> mem[k];
                    default -> throw unsupported(code, pc);
                };
                case 0x02 -> mem[k] = a;
                case 0x03 -> mem[k] = x;
                case 0x04 -> { // ALU
                    int src = (code & 0x08) != 0 ? x : k;
                    a = switch (code & 0xf0) {
                        case 0x00 -> a + src;
                        case 0x10 -> a - src;
                        case 0x40 -> a | src;
                        case 0x50 -> a & src;
                        case 0x60 -> a << src;
                        case 0x70 -> a >>> src;
                        case 0xa0 -> a ^ src;
                        default -> throw unsupported(code, pc);
                    };
                }
                case 0x05 -> { // JMP
                    int src = (code & 0x08) != 0 ? x : k;
                    if ((code & 0xf0) == 0x00) {
                        pc += k;
                        continue;
                    }
                    boolean taken = switch (code & 0xf0) {
                        case 0x10 -> a == src;
                        case 0x20 -> Integer.compareUnsigned(a, src) > 0;
                        case 0x30 -> Integer.compareUnsigned(a, src) >= 0;
                        case 0x40 -> (a & src) != 0;
                        default -> throw unsupported(code, pc);
                    };
                    pc += taken ? jt : jf;
                }
                case 0x06 -> {
                    return (code & 0x18) == 0x10 ? a : k;
                }
                case 0x07 -> {
                    if (code == 0x07) {
                        x = a;
                    } else if (code == 0x87) {
                        a = x;
                    } else {
                        throw unsupported(code, pc);
                    }
                }
                default -> throw unsupported(code, pc);
            }
        }
        throw new IllegalStateException("fell off the end of the program");
    }

    private static IllegalStateException unsupported(int code, int pc) {
        return new IllegalStateException("unsupported BPF opcode 0x" + Integer.toHexString(code) + " at " + pc);
    }
}
