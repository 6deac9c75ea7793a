package dev.berth.api.http;

/**
 * The API versions berthd speaks: Docker Engine API 1.50 (what the docker CLI 28 asks), down to
 * 1.24, as dockerd. A request names one with a {@code /vX.Y/} prefix, or none for the current one.
 */
public final class ApiVersion {
    public static final String CURRENT = "1.50";
    public static final String MINIMUM = "1.24";

    private ApiVersion() {}

    /**
     * Compares dotted versions part by part as numbers, as moby's versions.Compare does (a missing or
     * non-numeric part counts as 0): negative, 0 or positive.
     */
    public static int compare(String a, String b) {
        String[] x = a.split("\\.", -1), y = b.split("\\.", -1);
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            int c = Long.compare(part(x, i), part(y, i));
            if (c != 0) return c;
        }
        return 0;
    }

    private static long part(String[] parts, int i) {
        if (i >= parts.length) return 0;
        try {
            return Long.parseLong(parts[i]);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** Docker's 400 message for a version outside [MINIMUM, CURRENT], or null if it is supported. */
    public static String unsupported(String version) {
        if (compare(version, CURRENT) > 0)
            return "client version " + version + " is too new. Maximum supported API version is " + CURRENT;
        if (compare(version, MINIMUM) < 0)
            return "client version " + version + " is too old. Minimum supported API version is " + MINIMUM
                    + ", please upgrade your client to a newer version";
        return null;
    }
}
