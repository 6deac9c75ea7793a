package dev.berth.spec;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON on the start-up path. A small strict RFC 8259 parser: measured on this runtime's start
 * path, initialising jackson-core's JsonFactory alone took longer than runc needs to start a
 * container, and databind's ObjectMapper far longer. Values are plain Java: objects
 * {@code LinkedHashMap<String,Object>}, arrays {@code ArrayList<Object>}, strings, {@code Long} (or
 * {@code BigInteger} above it), {@code Double}, {@code Boolean}, and {@code null}. Errors name the
 * line and column. (Jackson stays the library for everything off the start path.)
 */
public final class Json {
  private static final int MAX_DEPTH = 512;

  private final byte[] in;
  private int pos;
  private int depth;

  private Json(byte[] in) {
    this.in = in;
  }

  public static Object parse(byte[] bytes) {
    Json p = new Json(bytes);
    p.skipSpace();
    if (p.pos >= bytes.length) throw new SpecException("", "malformed JSON: empty document");
    Object v = p.value();
    p.skipSpace();
    if (p.pos < bytes.length) throw p.fail("trailing content");
    return v;
  }

  private SpecException fail(String what) {
    int line = 1;
    int col = 1;
    for (int i = 0; i < Math.min(pos, in.length); i++) {
      if (in[i] == '\n') {
        line++;
        col = 1;
      } else {
        col++;
      }
    }
    String near = pos < in.length ? " near '" + (char) (in[pos] & 0xff) + "'" : " at end of input";
    return new SpecException("", "malformed JSON at line " + line + " column " + col + ": " + what + near);
  }

  private void skipSpace() {
    while (pos < in.length) {
      byte c = in[pos];
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') return;
      pos++;
    }
  }

  private Object value() {
    if (pos >= in.length) throw fail("value expected");
    byte c = in[pos];
    switch (c) {
      case '{':
        return object();
      case '[':
        return array();
      case '"':
        return string();
      case 't':
        return literal("true", Boolean.TRUE);
      case 'f':
        return literal("false", Boolean.FALSE);
      case 'n':
        return literal("null", null);
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return number();
        throw fail("unexpected character");
    }
  }

  private Object literal(String word, Object v) {
    for (int i = 0; i < word.length(); i++) {
      if (pos + i >= in.length || in[pos + i] != word.charAt(i)) throw fail("invalid literal");
    }
    pos += word.length();
    return v;
  }

  private Map<String, Object> object() {
    if (++depth > MAX_DEPTH) throw fail("nested too deeply");
    pos++;
    Map<String, Object> m = new LinkedHashMap<>();
    skipSpace();
    if (pos < in.length && in[pos] == '}') {
      pos++;
      depth--;
      return m;
    }
    while (true) {
      skipSpace();
      if (pos >= in.length || in[pos] != '"') throw fail("member name expected");
      String name = string();
      skipSpace();
      if (pos >= in.length || in[pos] != ':') throw fail("':' expected");
      pos++;
      skipSpace();
      m.put(name, value());
      skipSpace();
      if (pos >= in.length) throw fail("'}' expected");
      if (in[pos] == ',') {
        pos++;
        continue;
      }
      if (in[pos] == '}') {
        pos++;
        depth--;
        return m;
      }
      throw fail("',' or '}' expected");
    }
  }

  private List<Object> array() {
    if (++depth > MAX_DEPTH) throw fail("nested too deeply");
    pos++;
    List<Object> l = new ArrayList<>();
    skipSpace();
    if (pos < in.length && in[pos] == ']') {
      pos++;
      depth--;
      return l;
    }
    while (true) {
      skipSpace();
      l.add(value());
      skipSpace();
      if (pos >= in.length) throw fail("']' expected");
      if (in[pos] == ',') {
        pos++;
        continue;
      }
      if (in[pos] == ']') {
        pos++;
        depth--;
        return l;
      }
      throw fail("',' or ']' expected");
    }
  }

  private String string() {
    pos++; // opening quote
    int start = pos;
    // Fast path: no escapes.
    while (pos < in.length && in[pos] != '"' && in[pos] != '\\') {
      if ((in[pos] & 0xff) < 0x20) throw fail("control character in string");
      pos++;
    }
    if (pos < in.length && in[pos] == '"') {
      return new String(in, start, pos++ - start, StandardCharsets.UTF_8);
    }
    java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
    b.write(in, start, pos - start);
    while (true) {
      if (pos >= in.length) throw fail("unterminated string");
      byte c = in[pos++];
      if (c == '"') return b.toString(StandardCharsets.UTF_8);
      if ((c & 0xff) < 0x20) throw fail("control character in string");
      if (c != '\\') {
        b.write(c);
        continue;
      }
      if (pos >= in.length) throw fail("unterminated escape");
      byte e = in[pos++];
      switch (e) {
        case '"', '\\', '/' -> b.write(e);
        case 'b' -> b.write('\b');
        case 'f' -> b.write('\f');
        case 'n' -> b.write('\n');
        case 'r' -> b.write('\r');
        case 't' -> b.write('\t');
        case 'u' -> {
          int cp = hex4();
          if (Character.isHighSurrogate((char) cp) && pos + 1 < in.length && in[pos] == '\\' && in[pos + 1] == 'u') {
            int next = pos;
            pos += 2;
            int lo = hex4();
            // a pair makes one code point; otherwise the next escape stands alone (and a lone
            // surrogate becomes '?' in UTF-8, as String does)
            if (Character.isLowSurrogate((char) lo)) cp = Character.toCodePoint((char) cp, (char) lo);
            else pos = next;
          }
          b.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
        }
        default -> {
          pos--;
          throw fail("invalid escape");
        }
      }
    }
  }

  private int hex4() {
    if (pos + 4 > in.length) throw fail("short \\u escape");
    int v = 0;
    for (int i = 0; i < 4; i++) {
      int d = Character.digit(in[pos++], 16);
      if (d < 0) {
        pos--;
        throw fail("invalid \\u escape");
      }
      v = v * 16 + d;
    }
    return v;
  }

  private Object number() {
    int start = pos;
    if (in[pos] == '-') pos++;
    if (pos >= in.length || !digit(in[pos])) throw fail("digit expected");
    if (in[pos] == '0' && pos + 1 < in.length && digit(in[pos + 1])) throw fail("leading zero");
    while (pos < in.length && digit(in[pos])) pos++;
    boolean integral = true;
    if (pos < in.length && in[pos] == '.') {
      integral = false;
      pos++;
      if (pos >= in.length || !digit(in[pos])) throw fail("digit expected");
      while (pos < in.length && digit(in[pos])) pos++;
    }
    if (pos < in.length && (in[pos] == 'e' || in[pos] == 'E')) {
      integral = false;
      pos++;
      if (pos < in.length && (in[pos] == '+' || in[pos] == '-')) pos++;
      if (pos >= in.length || !digit(in[pos])) throw fail("digit expected");
      while (pos < in.length && digit(in[pos])) pos++;
    }
    String text = new String(in, start, pos - start, StandardCharsets.US_ASCII);
    if (!integral) {
      // 1e999 would be Infinity, which JSON cannot write back (runc refuses it too).
      double d = Double.parseDouble(text);
      if (Double.isInfinite(d)) {
        pos = start;
        throw fail("number out of range");
      }
      return d;
    }
    if (pos - start <= 18) return Long.parseLong(text);
    BigInteger big = new BigInteger(text);
    return big.bitLength() < 64 ? (Object) big.longValue() : big;
  }

  private static boolean digit(byte c) {
    return c >= '0' && c <= '9';
  }

  /** Compact JSON text of a value built from the types above. */
  public static String render(Object v) {
    StringBuilder b = new StringBuilder();
    render(v, b, -1);
    return b.toString();
  }

  /** Indented JSON text (two spaces), for humans. */
  public static String pretty(Object v) {
    StringBuilder b = new StringBuilder();
    render(v, b, 0);
    return b.toString();
  }

  private static void render(Object v, StringBuilder b, int indent) {
    switch (v) {
      case null -> b.append("null");
      case String s -> quote(s, b);
      case Map<?, ?> m -> {
        if (m.isEmpty()) {
          b.append("{}");
          return;
        }
        b.append('{');
        boolean first = true;
        for (var e : m.entrySet()) {
          if (!first) b.append(',');
          first = false;
          newline(b, indent < 0 ? -1 : indent + 1);
          quote(String.valueOf(e.getKey()), b);
          b.append(indent >= 0 ? ": " : ":");
          render(e.getValue(), b, indent < 0 ? -1 : indent + 1);
        }
        newline(b, indent);
        b.append('}');
      }
      case List<?> l -> {
        if (l.isEmpty()) {
          b.append("[]");
          return;
        }
        b.append('[');
        for (int i = 0; i < l.size(); i++) {
          if (i > 0) b.append(',');
          newline(b, indent < 0 ? -1 : indent + 1);
          render(l.get(i), b, indent < 0 ? -1 : indent + 1);
        }
        newline(b, indent);
        b.append(']');
      }
      default -> b.append(v);
    }
  }

  private static void newline(StringBuilder b, int indent) {
    if (indent < 0) return;
    b.append('\n');
    b.append("  ".repeat(indent));
  }

  public static String quote(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2);
    quote(s, b);
    return b.toString();
  }

  private static void quote(String s, StringBuilder b) {
    b.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
          else b.append(c);
        }
      }
    }
    b.append('"');
  }

  static boolean isInteger(Object v) {
    return v instanceof Long || v instanceof BigInteger;
  }
}
