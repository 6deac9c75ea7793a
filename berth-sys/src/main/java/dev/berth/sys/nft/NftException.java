package dev.berth.sys.nft;

/**
 * A command batch libnftables refused. Nothing of the batch was applied: nft runs a buffer as one
 * netlink transaction. {@link #nftError()} is nft's own text (what {@code nft -f} prints on stderr,
 * with the offending line and carets); the message starts with the first line of it.
 */
public final class NftException extends RuntimeException {
    private final String nftError;
    private final String commands;

    public NftException(String nftError, String commands) {
        super("nftables: " + summary(nftError));
        this.nftError = nftError;
        this.commands = commands;
    }

    /** nft's error output, verbatim. */
    public String nftError() {
        return nftError;
    }

    /** The command buffer that failed. */
    public String commands() {
        return commands;
    }

    private static String summary(String err) {
        if (err == null || err.isBlank()) {
            return "command failed (no error text)";
        }
        String[] lines = err.strip().split("\n");
        for (int i = 0; i < lines.length; i++) {
            int at = lines[i].indexOf("Error: ");
            if (at >= 0) {
                String what = lines[i].substring(at + 7).strip();
                String where = i + 1 < lines.length ? lines[i + 1].strip() : "";
                return where.isEmpty() ? what : what + " (in: " + where + ")";
            }
        }
        return lines[0].strip();
    }
}
