package dev.berth.spec;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON on the start-up path, with jackson-core's streaming parser only: a databind ObjectMapper
 * costs more to initialise than runc takes to run a container. Values are plain Java: objects
 * {@code LinkedHashMap<String,Object>}, arrays {@code ArrayList<Object>}, strings, {@code Long} (or
 * {@code BigInteger} above it), {@code Double}, {@code Boolean}, and {@code null}.
 */
public final class Json {
  private static final JsonFactory FACTORY = new JsonFactory();

  private Json() {}

  public static Object parse(byte[] bytes) {
    try (JsonParser p = FACTORY.createParser(bytes)) {
      JsonToken t = p.nextToken();
      if (t == null) throw new SpecException("", "malformed JSON: empty document");
      Object v = value(p, t);
      if (p.nextToken() != null) throw new SpecException("", "malformed JSON at line "
          + p.currentLocation().getLineNr() + " column " + p.currentLocation().getColumnNr() + ": trailing content");
      return v;
    } catch (JsonParseException e) {
      throw new SpecException("", "malformed JSON at line " + e.getLocation().getLineNr()
          + " column " + e.getLocation().getColumnNr() + ": " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new SpecException("", "malformed JSON: " + e.getMessage());
    }
  }

  private static Object value(JsonParser p, JsonToken t) throws IOException {
    switch (t) {
      case START_OBJECT -> {
        Map<String, Object> m = new LinkedHashMap<>();
        for (JsonToken k = p.nextToken(); k != JsonToken.END_OBJECT; k = p.nextToken()) {
          String name = p.currentName();
          m.put(name, value(p, p.nextToken()));
        }
        return m;
      }
      case START_ARRAY -> {
        List<Object> l = new ArrayList<>();
        for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) l.add(value(p, e));
        return l;
      }
      case VALUE_STRING -> {
        return p.getText();
      }
      case VALUE_NUMBER_INT -> {
        return p.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? p.getBigIntegerValue() : (Object) p.getLongValue();
      }
      case VALUE_NUMBER_FLOAT -> {
        return p.getDoubleValue();
      }
      case VALUE_TRUE -> {
        return Boolean.TRUE;
      }
      case VALUE_FALSE -> {
        return Boolean.FALSE;
      }
      case VALUE_NULL -> {
        return null;
      }
      default -> throw new SpecException("", "malformed JSON: unexpected " + t);
    }
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
          newline(b, indent + 1);
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
          newline(b, indent + 1);
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
