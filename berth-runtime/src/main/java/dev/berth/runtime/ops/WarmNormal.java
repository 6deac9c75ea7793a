package dev.berth.runtime.ops;

import dev.berth.runtime.plan.PlanTag;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The template's form of a config and of a plan: every occurrence of the container's bundle path,
 * then of its id, replaced by {@link WarmPath#BUNDLE} and {@link WarmPath#ID}, so that one template
 * serves every container of a config that differs only by its id and bundle (containerd, podman
 * and the CRI give each container its own). The same rules as the launcher's
 * {@code fast_normalise} (berth-native fast.c), which computes the key and compares: an occurrence
 * counts only where it stands alone (the id with no id character — letters, digits, {@code _+-.}
 * — on either side; the bundle with none after it and neither one nor {@code /} before it), the
 * bundle is tried first at each position (an id inside the bundle path goes with it), and the
 * result is null — no template — when that cannot be told: an undelimited occurrence, a text that
 * already holds a mark, or an id or bundle shorter than {@link #MIN_MARKED} that occurs at all.
 */
public final class WarmNormal {
  static final int MIN_MARKED = 8;
  private static final byte[] ANY_MARK = "@@BERTH-".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] CREATED = WarmPath.CREATED.getBytes(StandardCharsets.US_ASCII);
  private static final byte[] MAGIC = "BERTHPL1".getBytes(StandardCharsets.US_ASCII);

  private WarmNormal() {}

  static boolean wordChar(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '+'
        || c == '-' || c == '.';
  }

  /** A config's (or a path's) normal form, as the launcher computes it; null if ambiguous. */
  public static byte[] text(byte[] s, String bundle, String id) {
    if (indexOf(s, ANY_MARK, 0) >= 0) return null;
    return replace(s, bundle, id, false);
  }

  /**
   * The same for a field of a plan Java built, leniently: its own {@code @@BERTH-CREATED@@} is kept as
   * it is, and an occurrence that does not stand alone, or of a short id, is left as it is rather
   * than refused (the id is in the plan's state directory whatever its length). What is replaced
   * there is proven by the probe ({@link WarmPath#store}), not by these rules.
   */
  static byte[] field(byte[] s, String bundle, String id) {
    return replace(s, bundle, id, true);
  }

  private static byte[] replace(byte[] s, String bundle, String id, boolean lenient) {
    boolean keepCreated = lenient;
    byte[] b = bundle.getBytes(StandardCharsets.UTF_8), d = id.getBytes(StandardCharsets.UTF_8);
    byte[] bm = WarmPath.BUNDLE.getBytes(StandardCharsets.US_ASCII), im = WarmPath.ID.getBytes(StandardCharsets.US_ASCII);
    ByteArrayOutputStream out = new ByteArrayOutputStream(s.length + 64);
    int i = 0;
    while (i < s.length) {
      int prev = i > 0 ? s[i - 1] & 0xff : 0;
      if (keepCreated && startsWith(s, i, CREATED)) {
        out.write(CREATED, 0, CREATED.length);
        i += CREATED.length;
        continue;
      }
      if (b.length > 1 && startsWith(s, i, b)) {
        int next = i + b.length < s.length ? s[i + b.length] & 0xff : 0;
        boolean alone = !(wordChar(prev) || prev == '/' || wordChar(next));
        if (alone && (lenient || b.length >= MIN_MARKED)) {
          out.write(bm, 0, bm.length);
          i += b.length;
          continue;
        }
        if (!lenient) return null;
      }
      if (d.length > 0 && startsWith(s, i, d)) {
        int next = i + d.length < s.length ? s[i + d.length] & 0xff : 0;
        boolean alone = !(wordChar(prev) || wordChar(next));
        if (alone && (lenient || d.length >= MIN_MARKED)) {
          out.write(im, 0, im.length);
          i += d.length;
          continue;
        }
        if (!lenient) return null;
      }
      out.write(s[i]);
      i++;
    }
    return out.toByteArray();
  }

  /** The marks replaced by this bundle and id (the launcher's instantiation, for the probe). */
  static byte[] instantiate(byte[] s, String bundle, String id) {
    String t = new String(s, StandardCharsets.ISO_8859_1);
    return t.replace(WarmPath.BUNDLE, new String(bundle.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1))
        .replace(WarmPath.ID, id).getBytes(StandardCharsets.ISO_8859_1);
  }

  /**
   * An encoded plan with every text field normalised ({@link #field}); the seccomp program (binary)
   * is copied, a field that is itself a plan (the verbs record in a {@code T_FAST_FILE}) is
   * re-encoded the same way. Null if a field is ambiguous or the encoding malformed.
   */
  static byte[] plan(byte[] p, String bundle, String id) {
    if (p.length < 12 || !startsWith(p, 0, MAGIC)) return null;
    ByteArrayOutputStream out = new ByteArrayOutputStream(p.length + 256);
    out.write(p, 0, 12);
    int count = le32(p, 8), off = 12;
    for (int r = 0; r < count; r++) {
      if (off + 4 > p.length) return null;
      int tag = le16(p, off), n = le16(p, off + 2);
      out.write(p, off, 4);
      off += 4;
      for (int i = 0; i < n; i++) {
        if (off + 4 > p.length) return null;
        int len = le32(p, off);
        off += 4;
        if (len < 0 || len > p.length - off - 1) return null;
        byte[] f = Arrays.copyOfRange(p, off, off + len);
        byte[] g;
        if (tag == PlanTag.SECCOMP.number && i == 0) g = f;
        else if (tag == PlanTag.FAST_FILE.number && i == 1 && startsWith(f, 0, MAGIC)) g = plan(f, bundle, id);
        else g = field(f, bundle, id);
        if (g == null) return null;
        out.write(g.length & 0xff);
        out.write((g.length >>> 8) & 0xff);
        out.write((g.length >>> 16) & 0xff);
        out.write(g.length >>> 24);
        out.write(g, 0, g.length);
        out.write(0);
        off += len + 1;
      }
    }
    return off == p.length ? out.toByteArray() : null;
  }

  private static int le16(byte[] b, int o) {
    return (b[o] & 0xff) | (b[o + 1] & 0xff) << 8;
  }

  private static int le32(byte[] b, int o) {
    return le16(b, o) | le16(b, o + 2) << 16;
  }

  private static boolean startsWith(byte[] s, int at, byte[] w) {
    if (s.length - at < w.length) return false;
    for (int k = 0; k < w.length; k++) if (s[at + k] != w[k]) return false;
    return true;
  }

  private static int indexOf(byte[] s, byte[] w, int from) {
    for (int i = from; i + w.length <= s.length; i++) if (startsWith(s, i, w)) return i;
    return -1;
  }
}
