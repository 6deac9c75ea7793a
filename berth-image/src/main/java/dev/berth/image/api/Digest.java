package dev.berth.image.api;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** A content digest {@code algorithm:hex}, validated at creation. Only sha256 is stored. */
public record Digest(String algorithm, String hex) implements Comparable<Digest> {
    private static final Pattern SHA256 = Pattern.compile("[a-f0-9]{64}");
    private static final Pattern SHA512 = Pattern.compile("[a-f0-9]{128}");

    public Digest {
        if (!("sha256".equals(algorithm) && SHA256.matcher(hex).matches())
                && !("sha512".equals(algorithm) && SHA512.matcher(hex).matches()))
            throw new ImageException.InvalidReference("invalid digest: " + algorithm + ":" + hex);
    }

    public static Digest parse(String s) {
        if (s == null) throw new ImageException.InvalidReference("invalid digest: null");
        int i = s.indexOf(':');
        if (i < 0) throw new ImageException.InvalidReference("invalid digest (want sha256:<64 hex>): " + s);
        return new Digest(s.substring(0, i), s.substring(i + 1));
    }

    public static boolean isDigest(String s) {
        try { parse(s); return true; } catch (ImageException e) { return false; }
    }

    public static Digest sha256(byte[] raw) { return new Digest("sha256", HexFormat.of().formatHex(raw)); }

    public static Digest of(byte[] content) {
        return sha256(newSha256().digest(content));
    }

    /** SHA-256: libcrypto's through FFM where available (fast without C2, see NativeSha256), else the JDK's. */
    public static MessageDigest newSha256() {
        MessageDigest n = dev.berth.sys.NativeSha256.create();
        if (n != null) return n;
        try { return MessageDigest.getInstance("SHA-256"); }
        catch (NoSuchAlgorithmException e) { throw new IllegalStateException(e); }
    }

    /** First 12 hex characters, as docker shows image IDs. */
    public String shortHex() { return hex.substring(0, 12); }

    @Override public String toString() { return algorithm + ":" + hex; }
    @Override public int compareTo(Digest o) { return toString().compareTo(o.toString()); }
}
