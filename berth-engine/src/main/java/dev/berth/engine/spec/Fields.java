package dev.berth.engine.spec;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** HostConfig fields as Go decodes them: missing and null are the zero value; a wrong type is an error naming the field. */
final class Fields {
  private Fields() {}

  static boolean present(JsonNode o, String f) {
    return o != null && o.hasNonNull(f);
  }

  static long num(JsonNode o, String f) {
    Long v = optNum(o, f);
    return v == null ? 0 : v;
  }

  static Long optNum(JsonNode o, String f) {
    if (!present(o, f)) return null;
    JsonNode v = o.get(f);
    if (!v.isIntegralNumber() || !v.canConvertToLong()) throw wrongType(f, v, "an integer");
    return v.asLong();
  }

  static boolean bool(JsonNode o, String f) {
    Boolean b = optBool(o, f);
    return b != null && b;
  }

  static Boolean optBool(JsonNode o, String f) {
    if (!present(o, f)) return null;
    JsonNode v = o.get(f);
    if (!v.isBoolean()) throw wrongType(f, v, "a boolean");
    return v.asBoolean();
  }

  static String str(JsonNode o, String f) {
    if (!present(o, f)) return "";
    JsonNode v = o.get(f);
    if (!v.isTextual()) throw wrongType(f, v, "a string");
    return v.asText();
  }

  static List<String> strings(JsonNode o, String f) {
    List<String> out = new ArrayList<>();
    if (!present(o, f)) return out;
    JsonNode v = o.get(f);
    if (!v.isArray()) throw wrongType(f, v, "a list of strings");
    for (JsonNode e : v) {
      if (!e.isTextual()) throw wrongType(f, v, "a list of strings");
      out.add(e.asText());
    }
    return out;
  }

  static List<JsonNode> objects(JsonNode o, String f) {
    List<JsonNode> out = new ArrayList<>();
    if (!present(o, f)) return out;
    JsonNode v = o.get(f);
    if (!v.isArray()) throw wrongType(f, v, "a list of objects");
    for (JsonNode e : v) {
      if (!e.isObject()) throw wrongType(f, v, "a list of objects");
      out.add(e);
    }
    return out;
  }

  static IllegalArgumentException wrongType(String f, JsonNode v, String want) {
    return new IllegalArgumentException("invalid HostConfig." + f + ": " + v.getNodeType().name().toLowerCase()
        + " where " + want + " is expected");
  }
}
