package dev.berth.sys;

import java.util.Locale;

/**
 * Signal names and numbers as Linux x86_64 (glibc) numbers them: 1..31 the classic signals,
 * SIGRTMIN = 34 .. SIGRTMAX = 64 the real-time ones (glibc keeps 32 and 33 for itself), written
 * {@code SIGRTMIN+n} / {@code SIGRTMAX-n} as Docker and runc accept them.
 */
public final class Signals {
    public static final int SIGRTMIN = 34;
    public static final int SIGRTMAX = 64;

    private static final String[] NAMES = {
        null, "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV",
        "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU",
        "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
    };

    private Signals() {
    }

    /**
     * The number of a signal written as a name with or without "SIG", in any case ("SIGTERM",
     * "TERM", "term"), as a number ("15"), or as a real-time offset ("SIGRTMIN+3", "RTMAX-1").
     * Aliases IOT, CLD and POLL are accepted.
     *
     * @throws IllegalArgumentException {@code unknown signal "X"} for anything else, 0 included
     */
    public static int parse(String signal) {
        if (signal == null) {
            throw new IllegalArgumentException("unknown signal \"null\"");
        }
        String s = signal.trim().toUpperCase(Locale.ROOT);
        if (!s.isEmpty() && s.chars().allMatch(Character::isDigit)) {
            try {
                int n = Integer.parseInt(s);
                if (n >= 1 && n <= SIGRTMAX && (n <= 31 || n >= SIGRTMIN)) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // falls through to the error
            }
            throw unknown(signal);
        }
        if (s.startsWith("SIG")) {
            s = s.substring(3);
        }
        for (int i = 1; i < NAMES.length; i++) {
            if (NAMES[i].equals(s)) {
                return i;
            }
        }
        switch (s) {
            case "IOT": return 6;
            case "CLD": return 17;
            case "POLL": return 29;
            case "RTMIN": return SIGRTMIN;
            case "RTMAX": return SIGRTMAX;
            default: break;
        }
        int n = rtOffset(s, "RTMIN+", signal);
        if (n >= 0) {
            return SIGRTMIN + n;
        }
        n = rtOffset(s, "RTMAX-", signal);
        if (n >= 0) {
            return SIGRTMAX - n;
        }
        throw unknown(signal);
    }

    private static int rtOffset(String s, String prefix, String original) {
        if (!s.startsWith(prefix)) {
            return -1;
        }
        String digits = s.substring(prefix.length());
        if (digits.isEmpty() || digits.length() > 2 || !digits.chars().allMatch(Character::isDigit)) {
            throw unknown(original);
        }
        int n = Integer.parseInt(digits);
        if (n > SIGRTMAX - SIGRTMIN) {
            throw unknown(original);
        }
        return n;
    }

    /**
     * The canonical name of signal {@code signo}: "SIGTERM", "SIGRTMIN", "SIGRTMIN+3" (up to +15),
     * "SIGRTMAX-14" .. "SIGRTMAX".
     *
     * @throws IllegalArgumentException for a number Linux x86_64 does not define
     */
    public static String name(int signo) {
        if (signo >= 1 && signo < NAMES.length) {
            return "SIG" + NAMES[signo];
        }
        if (signo == SIGRTMIN) {
            return "SIGRTMIN";
        }
        if (signo == SIGRTMAX) {
            return "SIGRTMAX";
        }
        if (signo > SIGRTMIN && signo <= SIGRTMIN + 15) {
            return "SIGRTMIN+" + (signo - SIGRTMIN);
        }
        if (signo > SIGRTMIN + 15 && signo < SIGRTMAX) {
            return "SIGRTMAX-" + (SIGRTMAX - signo);
        }
        throw unknown(Integer.toString(signo));
    }

    private static IllegalArgumentException unknown(String signal) {
        return new IllegalArgumentException("unknown signal \"" + signal + "\"");
    }
}
