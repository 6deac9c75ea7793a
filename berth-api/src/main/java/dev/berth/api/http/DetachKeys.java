package dev.berth.api.http;

import java.io.ByteArrayOutputStream;
import java.util.List;

/**
 * Docker's detach keys: the key sequence that, typed on an attached TTY's stdin, detaches the
 * client and leaves the container running. Parsed as moby/term's {@code ToBytes}: comma-separated
 * keys, each one character or {@code ctrl-@}, {@code ctrl-a} .. {@code ctrl-z}, {@code ctrl-[},
 * {@code ctrl-\}, {@code ctrl-]}, {@code ctrl-^}, {@code ctrl-_}, or {@code DEL}. The default is
 * ctrl-p,ctrl-q. {@link Scanner} holds back the bytes of a partial match (moby's escapeProxy).
 */
public final class DetachKeys {
  public static final String DEFAULT = "ctrl-p,ctrl-q";
  private static final List<String> CTRL = List.of("ctrl-@", "ctrl-a", "ctrl-b", "ctrl-c", "ctrl-d", "ctrl-e", "ctrl-f",
      "ctrl-g", "ctrl-h", "ctrl-i", "ctrl-j", "ctrl-k", "ctrl-l", "ctrl-m", "ctrl-n", "ctrl-o", "ctrl-p", "ctrl-q",
      "ctrl-r", "ctrl-s", "ctrl-t", "ctrl-u", "ctrl-v", "ctrl-w", "ctrl-x", "ctrl-y", "ctrl-z", "ctrl-[", "ctrl-\\",
      "ctrl-]", "ctrl-^", "ctrl-_");

  private DetachKeys() {}

  /** The bytes of a key sequence; IllegalArgumentException ({@code Unknown character: 'x'}) for a bad one. */
  public static byte[] toBytes(String keys) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (String key : keys.split(",", -1)) {
      if (key.length() == 1) {
        out.write(key.charAt(0));
        continue;
      }
      int code = CTRL.indexOf(key);
      if (code >= 0) out.write(code);
      else if (key.equals("DEL")) out.write(127);
      else throw new IllegalArgumentException("Unknown character: '" + key + "'");
    }
    return out.toByteArray();
  }

  /**
   * The keys a request asks for (null or empty: the default), or a 400 with dockerd's message
   * ({@code Invalid detach keys (x) provided}; exec's create says {@code escape keys}).
   */
  public static byte[] of(String keys, String what) {
    if (keys == null || keys.isEmpty()) return toBytes(DEFAULT);
    try {
      return toBytes(keys);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("Invalid " + what + " keys (" + keys + ") provided");
    }
  }

  /** Watches the client's bytes for the sequence: what to pass on, and whether it was typed. */
  public static final class Scanner {
    private final byte[] keys;
    private int pos;
    private boolean detached;

    public Scanner(byte[] keys) { this.keys = keys; }

    /** The bytes to forward (a partial match is held back until it matches or not); after the sequence, nothing. */
    public byte[] feed(byte[] in) {
      if (detached) return new byte[0];
      if (keys.length == 0) return in;
      ByteArrayOutputStream out = new ByteArrayOutputStream(in.length);
      for (byte b : in) {
        if (b == keys[pos]) {
          if (++pos == keys.length) {
            detached = true;
            return out.toByteArray();
          }
          continue;
        }
        if (pos > 0) {
          out.write(keys, 0, pos); // not the sequence after all: the held keys go through
          pos = 0;
          if (b == keys[0]) {
            pos = 1;
            if (keys.length == 1) {
              detached = true;
              return out.toByteArray();
            }
            continue;
          }
        }
        out.write(b);
      }
      return out.toByteArray();
    }

    public boolean detached() { return detached; }
  }
}
