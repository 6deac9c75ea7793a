package dev.berth.sys;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Linux capabilities by their OCI names ("CAP_SYS_ADMIN") and bit numbers, as Linux 6.x defines
 * them (0 = CAP_CHOWN .. 40 = CAP_CHECKPOINT_RESTORE). Names are exact: upper case, with the
 * {@code CAP_} prefix, as config.json writes them.
 */
public final class Capabilities {
    private static final List<String> NAMES = List.of(
            "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
            "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
            "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
            "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
            "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
            "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
            "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
            "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
            "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE");

    /** The highest capability number this class knows (CAP_CHECKPOINT_RESTORE). */
    public static final int LAST_KNOWN = 40;

    private Capabilities() {
    }

    /** Every capability name, in bit order (index = bit number). */
    public static List<String> all() {
        return NAMES;
    }

    /**
     * The bit number of capability {@code name}.
     *
     * @throws IllegalArgumentException {@code unknown capability "CAP_FOO"}
     */
    public static int number(String name) {
        int i = NAMES.indexOf(name);
        if (i < 0) {
            throw new IllegalArgumentException("unknown capability \"" + name + "\"");
        }
        return i;
    }

    /**
     * The name of capability bit {@code number}.
     *
     * @throws IllegalArgumentException for a number outside 0..{@value #LAST_KNOWN}
     */
    public static String name(int number) {
        if (number < 0 || number >= NAMES.size()) {
            throw new IllegalArgumentException("unknown capability number " + number);
        }
        return NAMES.get(number);
    }

    /**
     * The set of {@code names} as a bit mask (bit n = capability n), as capset(2) and
     * PR_CAPBSET_DROP take them.
     *
     * @throws IllegalArgumentException naming the first unknown capability
     */
    public static long mask(Collection<String> names) {
        long mask = 0;
        for (String name : names) {
            mask |= 1L << number(name);
        }
        return mask;
    }

    /** The names of the bits set in {@code mask}, in bit order; bits above 40 are ignored. */
    public static List<String> names(long mask) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < NAMES.size(); i++) {
            if ((mask & (1L << i)) != 0) {
                out.add(NAMES.get(i));
            }
        }
        return out;
    }

    /**
     * The highest capability the running kernel supports, from /proc/sys/kernel/cap_last_cap
     * (may be below or above {@value #LAST_KNOWN}).
     */
    public static long lastCap() {
        Path p = Path.of("/proc/sys/kernel/cap_last_cap");
        // Not Files.readString: on this 0-sized sysctl file it returns only the first byte.
        try (InputStream in = Files.newInputStream(p)) {
            return Long.parseLong(new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim());
        } catch (IOException e) {
            throw new UncheckedIOException("read " + p + ": " + e.getMessage(), e);
        }
    }
}
