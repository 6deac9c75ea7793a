package dev.berth.sys;

import java.util.List;

/**
 * POSIX resource limits by their OCI names ("RLIMIT_NOFILE") and Linux resource numbers, as
 * setrlimit(2) and prlimit(2) take them.
 */
public final class Rlimits {
    private static final List<String> NAMES = List.of(
            "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE",
            "RLIMIT_RSS", "RLIMIT_NPROC", "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS",
            "RLIMIT_LOCKS", "RLIMIT_SIGPENDING", "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_RTPRIO",
            "RLIMIT_RTTIME");

    /** RLIM_INFINITY: "no limit", as a 64-bit unsigned value. */
    public static final long RLIM_INFINITY = -1L;

    private Rlimits() {
    }

    /** Every resource name, in number order (index = resource number). */
    public static List<String> all() {
        return NAMES;
    }

    /**
     * The resource number of {@code name} ("RLIMIT_NOFILE" → 7).
     *
     * @throws IllegalArgumentException {@code unknown rlimit "RLIMIT_FOO"}
     */
    public static int resource(String name) {
        int i = NAMES.indexOf(name);
        if (i < 0) {
            throw new IllegalArgumentException("unknown rlimit \"" + name + "\"");
        }
        return i;
    }

    /** The name of resource {@code number}. */
    public static String name(int number) {
        if (number < 0 || number >= NAMES.size()) {
            throw new IllegalArgumentException("unknown rlimit number " + number);
        }
        return NAMES.get(number);
    }
}
