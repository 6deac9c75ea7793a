package dev.berth.engine.events;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Docker's event filters (dockerd's daemon/events/filter.go): different keys must all match,
 * values of one key are alternatives. {@code type}, {@code scope}: exact; {@code event} (alias
 * {@code action}): exact, or a prefix for health_status/exec_create/exec_start; {@code container},
 * {@code network}, {@code volume}, {@code daemon}, {@code plugin}, …: the actor's ID or name
 * attribute, exactly or as a prefix, of events of that type only; {@code image}: ID or name, with
 * or without the tag; {@code label}: every {@code key} or {@code key=value} among the attributes.
 * Plus {@link #time}, the since/until parser.
 */
public final class EventFilter implements Predicate<EventBus.Event> {
  static final Set<String> KEYS = Set.of("action", "config", "container", "daemon", "event", "image", "label", "network", "node",
      "plugin", "scope", "secret", "service", "type", "volume");
  static final Set<String> FUZZY_EVENTS = Set.of("health_status", "exec_create", "exec_start");

  private final Map<String, List<String>> f;

  private EventFilter(Map<String, List<String>> f) { this.f = f; }

  /** The filter of {@code filters} (the API's parsed {@code filters}); IllegalArgumentException naming an unknown key. */
  public static EventFilter of(Map<String, List<String>> filters) {
    for (String k : filters.keySet()) if (!KEYS.contains(k)) throw new IllegalArgumentException("invalid filter '" + k + "'");
    return new EventFilter(filters);
  }

  public static final EventFilter ALL = new EventFilter(Map.of());

  @Override
  public boolean test(EventBus.Event e) {
    return exact("type", e.type()) && exact("scope", "local") && event(e) && image(e) && labels(e)
        && byName("container", e) && byName("network", e) && byName("volume", e) && byName("daemon", e)
        && byName("plugin", e) && byName("node", e) && byName("service", e) && byName("secret", e) && byName("config", e);
  }

  private boolean event(EventBus.Event e) {
    for (String key : new String[] {"event", "action"}) {
      List<String> v = f.get(key);
      if (v == null || v.isEmpty()) continue;
      boolean fuzzy = v.stream().anyMatch(FUZZY_EVENTS::contains);
      boolean ok = fuzzy ? v.stream().anyMatch(x -> e.action().equals(x) || e.action().startsWith(x)) : v.contains(e.action());
      if (!ok) return false;
    }
    return true;
  }

  private boolean exact(String key, String value) {
    List<String> v = f.get(key);
    return v == null || v.isEmpty() || v.contains(value);
  }

  private boolean fuzzy(String key, String value) {
    List<String> v = f.get(key);
    if (v == null || v.isEmpty()) return true;
    if (value == null || value.isEmpty()) return false;
    for (String x : v) if (value.equals(x) || value.startsWith(x)) return true;
    return false;
  }

  /** dockerd's fuzzyMatchName: the filter {@code type=x} holds for events of another type only if the key is absent. */
  private boolean byName(String type, EventBus.Event e) {
    List<String> v = f.get(type);
    if (v == null || v.isEmpty()) return true;
    return fuzzy(type, e.actorId()) || fuzzy(type, e.attributes().get("name"));
  }

  private boolean image(EventBus.Event e) {
    List<String> v = f.get("image");
    if (v == null || v.isEmpty()) return true;
    String name = e.attributes().getOrDefault(e.type().equals("image") ? "name" : "image", "");
    String id = e.actorId();
    return v.contains(id) || v.contains(name) || v.contains(stripTag(id)) || v.contains(stripTag(name));
  }

  static String stripTag(String ref) {
    int at = ref.indexOf('@');
    if (at >= 0) return ref.substring(0, at);
    int slash = ref.lastIndexOf('/'), colon = ref.lastIndexOf(':');
    return colon > slash && !ref.startsWith("sha256:") ? ref.substring(0, colon) : ref;
  }

  private boolean labels(EventBus.Event e) {
    List<String> v = f.get("label");
    if (v == null) return true;
    for (String l : v) {
      int eq = l.indexOf('=');
      if (eq < 0) {
        if (!e.attributes().containsKey(l)) return false;
      } else if (!l.substring(eq + 1).equals(e.attributes().get(l.substring(0, eq)))) {
        return false;
      }
    }
    return true;
  }

  /**
   * A since/until value as nanoseconds since the epoch: Docker's {@code seconds[.nanoseconds]} (what
   * the CLI sends), RFC 3339, or a Go duration ({@code 10m}, {@code 1h30m}: that long before
   * {@code now}). IllegalArgumentException naming the value otherwise.
   */
  public static long time(String value, Instant now) {
    String v = value.trim();
    if (v.matches("-?\\d+(\\.\\d{1,9})?")) {
      int dot = v.indexOf('.');
      long s = Long.parseLong(dot < 0 ? v : v.substring(0, dot));
      long n = dot < 0 ? 0 : Long.parseLong((v.substring(dot + 1) + "000000000").substring(0, 9));
      return s * 1_000_000_000L + n;
    }
    try {
      Instant i = OffsetDateTime.parse(v).toInstant();
      return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    } catch (DateTimeParseException e) {
      // a duration?
    }
    Duration d = goDuration(v);
    if (d == null) throw new IllegalArgumentException("failed to parse value as time or duration: \"" + value + "\"");
    Instant i = now.minus(d);
    return i.getEpochSecond() * 1_000_000_000L + i.getNano();
  }

  static Duration goDuration(String s) {
    var m = java.util.regex.Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h)").matcher(s);
    int pos = 0;
    double nanos = 0;
    while (m.find()) {
      if (m.start() != pos) return null;
      double n = Double.parseDouble(m.group(1));
      nanos += n * switch (m.group(2)) {
        case "ns" -> 1; case "us", "µs" -> 1e3; case "ms" -> 1e6; case "s" -> 1e9; case "m" -> 60e9; default -> 3600e9;
      };
      pos = m.end();
    }
    return pos == s.length() && pos > 0 ? Duration.ofNanos((long) nanos) : null;
  }
}
