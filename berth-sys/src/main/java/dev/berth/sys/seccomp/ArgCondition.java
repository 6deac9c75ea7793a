package dev.berth.sys.seccomp;

/**
 * One entry of a rule's {@code args}: compare syscall argument {@code index} (0..5) with
 * {@code value} using SCMP_CMP_* {@code op}. For SCMP_CMP_MASKED_EQ the argument is ANDed with
 * {@code value} (the mask) and compared with {@code valueTwo}. Values are unsigned 64-bit.
 */
public record ArgCondition(int index, long value, long valueTwo, String op) {
    /** A condition without {@code valueTwo}. */
    public static ArgCondition of(int index, String op, long value) {
        return new ArgCondition(index, value, 0, op);
    }
}
