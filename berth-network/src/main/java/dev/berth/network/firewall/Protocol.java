package dev.berth.network.firewall;

import java.util.Locale;

/** A published port's transport protocol, as Docker spells it in "80/tcp". */
public enum Protocol {
    TCP, UDP, SCTP;

    /** "tcp", "udp", "sctp". */
    public String text() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses Docker's protocol name; empty means tcp. */
    public static Protocol parse(String s) {
        if (s == null || s.isEmpty()) {
            return TCP;
        }
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "tcp" -> TCP;
            case "udp" -> UDP;
            case "sctp" -> SCTP;
            default -> throw new IllegalArgumentException("invalid proto: " + s);
        };
    }
}
