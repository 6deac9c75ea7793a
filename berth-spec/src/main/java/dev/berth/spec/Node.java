package dev.berth.spec;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A JSON value together with its path in the document, so that every type error names the field:
 * {@code process.rlimits[1].hard: expected an unsigned integer, got "x"}. Absent and {@code null}
 * members read as "not set".
 */
public record Node(JsonNode json, String path) {

  public static Node root(JsonNode json) {
    return new Node(json, "");
  }

  public Node get(String name) {
    JsonNode child = json == null ? null : json.get(name);
    return new Node(child == null || child.isNull() ? null : child, path.isEmpty() ? name : path + "." + name);
  }

  public boolean present() {
    return json != null;
  }

  public boolean has(String name) {
    return get(name).present();
  }

  public SpecException error(String message) {
    return new SpecException(path, message);
  }

  private SpecException expected(String what) {
    return error("expected " + what + ", got " + (json.isTextual() ? "\"" + json.asText() + "\"" : json.toString()));
  }

  public Node requireObject() {
    if (json == null) throw error("is required");
    if (!json.isObject()) throw expected("an object");
    return this;
  }

  public String string() {
    if (json == null) throw error("is required");
    if (!json.isTextual()) throw expected("a string");
    return json.asText();
  }

  public String optString(String name) {
    Node n = get(name);
    return n.present() ? n.string() : null;
  }

  public String string(String name) {
    return get(name).string();
  }

  public boolean optBool(String name, boolean dflt) {
    Node n = get(name);
    if (!n.present()) return dflt;
    if (!n.json.isBoolean()) throw n.expected("true or false");
    return n.json.asBoolean();
  }

  public long integer() {
    if (json == null) throw error("is required");
    if (!json.isIntegralNumber() || !json.canConvertToLong()) {
      if (json.isIntegralNumber()) {
        // Unsigned 64-bit values above Long.MAX_VALUE (e.g. rlimits "infinity") keep their bits.
        try {
          return Long.parseUnsignedLong(json.asText());
        } catch (NumberFormatException e) {
          throw expected("a 64-bit integer");
        }
      }
      throw expected("an integer");
    }
    return json.asLong();
  }

  public long integer(String name) {
    return get(name).integer();
  }

  public Long optLong(String name) {
    Node n = get(name);
    return n.present() ? n.integer() : null;
  }

  public Integer optInt(String name) {
    Node n = get(name);
    if (!n.present()) return null;
    long v = n.integer();
    if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) throw n.expected("a 32-bit integer");
    return (int) v;
  }

  public long unsigned(String name) {
    Node n = get(name);
    long v = n.integer();
    if (v < 0 && !n.json.isBigInteger()) throw n.expected("an unsigned integer");
    return v;
  }

  public <T> List<T> list(String name, Function<Node, T> item) {
    Node n = get(name);
    if (!n.present()) return List.of();
    if (!n.json.isArray()) throw n.expected("an array");
    List<T> out = new ArrayList<>(n.json.size());
    for (int i = 0; i < n.json.size(); i++) {
      JsonNode e = n.json.get(i);
      out.add(item.apply(new Node(e == null || e.isNull() ? null : e, n.path + "[" + i + "]")));
    }
    return List.copyOf(out);
  }

  public List<String> strings(String name) {
    return list(name, Node::string);
  }

  public Map<String, String> stringMap(String name) {
    Node n = get(name);
    if (!n.present()) return Map.of();
    if (!n.json.isObject()) throw n.expected("an object");
    Map<String, String> out = new LinkedHashMap<>();
    for (var it = n.json.properties().iterator(); it.hasNext(); ) {
      var e = it.next();
      out.put(e.getKey(), n.get(e.getKey()).string());
    }
    return out;
  }
}
