package dev.berth.spec;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A JSON value (as {@link Json} builds it) together with its path in the document, so that every
 * type error names the field: {@code process.rlimits[1].hard: expected an integer, got "x"}.
 * Absent and {@code null} members read as "not set".
 */
public record Node(Object json, String path) {
  private static final BigInteger MAX_U64 = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

  public static Node root(Object json) {
    return new Node(json, "");
  }

  public Node get(String name) {
    Object child = json instanceof Map<?, ?> m ? m.get(name) : null;
    return new Node(child, path.isEmpty() ? name : path + "." + name);
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
    return error("expected " + what + ", got " + Json.render(json));
  }

  public Node requireObject() {
    if (json == null) throw error("is required");
    if (!(json instanceof Map)) throw expected("an object");
    return this;
  }

  /** Member names of an object, in document order. */
  public List<String> fieldNames() {
    requireObject();
    List<String> names = new ArrayList<>();
    for (Object k : ((Map<?, ?>) json).keySet()) names.add((String) k);
    return names;
  }

  public String string() {
    if (json == null) throw error("is required");
    if (!(json instanceof String s)) throw expected("a string");
    return s;
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
    if (!(n.json instanceof Boolean b)) throw n.expected("true or false");
    return b;
  }

  /** A 64-bit integer; values above Long.MAX_VALUE up to 2^64-1 keep their bits (unsigned). */
  public long integer() {
    if (json == null) throw error("is required");
    if (json instanceof Long l) return l;
    if (json instanceof BigInteger b && b.signum() > 0 && b.compareTo(MAX_U64) <= 0) return b.longValue();
    if (json instanceof BigInteger) throw expected("a 64-bit integer");
    throw expected("an integer");
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
    if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE || n.json instanceof BigInteger) throw n.expected("a 32-bit integer");
    return (int) v;
  }

  public long unsigned(String name) {
    Node n = get(name);
    long v = n.integer();
    if (v < 0 && !(n.json instanceof BigInteger)) throw n.expected("an unsigned integer");
    return v;
  }

  public <T> List<T> list(String name, Function<Node, T> item) {
    Node n = get(name);
    if (!n.present()) return List.of();
    if (!(n.json instanceof List<?> l)) throw n.expected("an array");
    List<T> out = new ArrayList<>(l.size());
    for (int i = 0; i < l.size(); i++) out.add(item.apply(new Node(l.get(i), n.path + "[" + i + "]")));
    return List.copyOf(out);
  }

  public List<String> strings(String name) {
    return list(name, Node::string);
  }

  public Map<String, String> stringMap(String name) {
    Node n = get(name);
    if (!n.present()) return Map.of();
    Map<String, String> out = new LinkedHashMap<>();
    for (String k : n.fieldNames()) out.put(k, n.get(k).string());
    return out;
  }
}
