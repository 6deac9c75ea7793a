package dev.berth.engine.networks;

import dev.berth.network.NetworkConfig;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** dockerd's filters of GET /networks and POST /networks/prune; a bad one is a 400 naming it. */
final class NetworkFilters {
  private NetworkFilters() {}

  static boolean list(NetworkConfig n, boolean dangling, Map<String, List<String>> f) {
    for (var e : f.entrySet()) {
      if (e.getValue().isEmpty()) continue;
      boolean any = false, all = true;
      for (String v : e.getValue()) {
        boolean ok = switch (e.getKey()) {
          case "name" -> n.name().contains(v); // dockerd: substring match
          case "id" -> n.id().startsWith(v);
          case "driver" -> n.driver().equals(v);
          case "scope" -> v.equals("local");
          case "type" -> {
            if (!v.equals("builtin") && !v.equals("custom")) throw NetworkException.invalid("invalid filter: 'type'='" + v + "'");
            yield v.equals("builtin") == n.predefined();
          }
          case "label" -> label(n, v);
          case "dangling" -> {
            boolean d = v.equals("true") || v.equals("1");
            if (!d && !v.equals("false") && !v.equals("0")) throw NetworkException.invalid("invalid filter 'dangling=" + v + "'");
            yield d == (dangling && !n.predefined());
          }
          default -> throw NetworkException.invalid("invalid filter '" + e.getKey() + "'");
        };
        any |= ok;
        all &= ok;
      }
      if (e.getKey().equals("label") ? !all : !any) return false;
    }
    return true;
  }

  static void checkPrune(Map<String, List<String>> f) {
    for (String k : f.keySet()) {
      if (!k.equals("label") && !k.equals("label!") && !k.equals("until")) throw NetworkException.invalid("invalid filter '" + k + "'");
    }
  }

  static boolean prune(NetworkConfig n, Map<String, List<String>> f) {
    for (String v : f.getOrDefault("label", List.of())) if (!label(n, v)) return false;
    for (String v : f.getOrDefault("label!", List.of())) if (label(n, v)) return false;
    for (String v : f.getOrDefault("until", List.of())) {
      Instant until;
      try {
        until = v.matches("\\d+") ? Instant.ofEpochSecond(Long.parseLong(v)) : Instant.parse(v);
      } catch (RuntimeException e) {
        throw NetworkException.invalid("invalid filter 'until=" + v + "'");
      }
      if (!Instant.parse(n.created()).isBefore(until)) return false;
    }
    return true;
  }

  private static boolean label(NetworkConfig n, String v) {
    int i = v.indexOf('=');
    return i < 0 ? n.labels().containsKey(v) : v.substring(i + 1).equals(n.labels().get(v.substring(0, i)));
  }
}
