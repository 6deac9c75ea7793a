package dev.berth.engine.containers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

/**
 * HostConfig.LogConfig of a container: the json-file driver (the only one berth has) and its
 * rotation options, checked as dockerd checks them (moby's {@code jsonfilelog.ValidateLogOpt} and
 * {@code jsonfilelog.New}, with go-units' {@code FromHumanSize}: decimal sizes, 10k = 10000).
 * The monitor performs the rotation (berth-launch's {@code T_LOG_ROTATE}); this only decides it.
 *
 * @param maxSize bytes at which the log is rotated; 0: never (no max-size)
 * @param maxFile how many files are kept (the log and LOG.1 .. LOG.N-1); 1 without max-file
 */
public record LogOptions(long maxSize, int maxFile) {
  public static final String DRIVER = "json-file";
  public static final LogOptions NONE = new LogOptions(0, 1);

  /**
   * The options of a LogConfig ({@code {"Type":"json-file","Config":{"max-size":"10m",...}}}; null
   * or missing: the defaults); IllegalArgumentException with dockerd's message for bad input.
   */
  public static LogOptions of(JsonNode logConfig) {
    if (logConfig == null || logConfig.isNull() || logConfig.isMissingNode()) return NONE;
    if (!logConfig.isObject()) throw new IllegalArgumentException("HostConfig.LogConfig: must be an object");
    String type = logConfig.path("Type").asText("");
    if (!type.isEmpty() && !type.equals(DRIVER)) {
      throw new IllegalArgumentException("failed to create task for container: logger: no log driver named '" + type
          + "' is registered (berth has json-file only)");
    }
    JsonNode cfg = logConfig.path("Config");
    if (cfg.isNull() || cfg.isMissingNode()) return NONE;
    if (!cfg.isObject()) throw new IllegalArgumentException("HostConfig.LogConfig.Config: must be an object of strings");
    for (Iterator<Map.Entry<String, JsonNode>> it = cfg.fields(); it.hasNext();) {
      Map.Entry<String, JsonNode> e = it.next();
      switch (e.getKey()) {
        case "max-file", "max-size", "compress", "labels", "labels-regex", "env", "env-regex", "tag" -> {
          if (!e.getValue().isTextual()) {
            throw new IllegalArgumentException("HostConfig.LogConfig.Config." + e.getKey() + ": must be a string");
          }
        }
        default -> throw new IllegalArgumentException("unknown log opt '" + e.getKey() + "' for json-file log driver");
      }
    }
    long maxSize = 0;
    JsonNode ms = cfg.get("max-size");
    if (ms != null) {
      maxSize = fromHumanSize(ms.asText());
      if (maxSize <= 0) throw new IllegalArgumentException("max-size must be a positive number");
    }
    int maxFile = 1;
    JsonNode mf = cfg.get("max-file");
    if (mf != null) {
      maxFile = atoi(mf.asText());
      if (maxFile < 1) throw new IllegalArgumentException("max-file cannot be less than 1");
    }
    JsonNode cp = cfg.get("compress");
    if (cp != null) {
      boolean compress = parseBool(cp.asText());
      if (compress && (maxFile == 1 || maxSize == 0)) {
        throw new IllegalArgumentException("compress cannot be true when max-file is less than 2 or max-size is not set");
      }
      if (compress) throw new IllegalArgumentException("compress=true is not supported by berth's json-file log (compress=false)");
    }
    return new LogOptions(maxSize, maxFile);
  }

  /** LogConfig as inspect shows it: Type filled in with the default driver, Config kept (empty: {}). */
  public static void normalize(ObjectNode hostConfig) {
    JsonNode lc = hostConfig.get("LogConfig");
    ObjectNode o = lc != null && lc.isObject() ? (ObjectNode) lc : hostConfig.putObject("LogConfig");
    if (o.path("Type").asText("").isEmpty()) o.put("Type", DRIVER);
    if (!o.path("Config").isObject()) o.putObject("Config");
  }

  /** go-units' FromHumanSize (parseSize with decimal units, 1k = 1000). */
  static long fromHumanSize(String s) {
    int sep = -1;
    for (int i = s.length() - 1; i >= 0; i--) {
      char c = s.charAt(i);
      if ((c >= '0' && c <= '9') || c == '.' || c == ' ') {
        sep = i;
        break;
      }
    }
    if (sep == -1) throw new IllegalArgumentException("invalid size: '" + s + "'");
    String num, sfx;
    if (s.charAt(sep) != ' ') {
      num = s.substring(0, sep + 1);
      sfx = s.substring(sep + 1);
    } else {
      num = s.substring(0, sep);
      sfx = s.substring(sep + 1);
    }
    double size;
    try {
      if (!num.matches("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?")) throw new NumberFormatException();
      size = Double.parseDouble(num);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("strconv.ParseFloat: parsing " + GoQuoted.of(num) + ": invalid syntax");
    }
    if (size < 0) throw new IllegalArgumentException("invalid size: '" + s + "'");
    if (sfx.isEmpty()) return (long) size;
    String l = sfx.toLowerCase(Locale.ROOT);
    if (l.length() > 3) throw badSuffix(l);
    if (l.charAt(0) == 'b') {
      if (l.length() > 1) throw badSuffix(l);
      return (long) size;
    }
    long mul = switch (l.charAt(0)) {
      case 'k' -> 1000L;
      case 'm' -> 1000_000L;
      case 'g' -> 1000_000_000L;
      case 't' -> 1000_000_000_000L;
      case 'p' -> 1000_000_000_000_000L;
      default -> throw badSuffix(l);
    };
    if ((l.length() == 2 && l.charAt(1) != 'b') || (l.length() == 3 && !l.substring(1).equals("ib"))) throw badSuffix(l);
    return (long) (size * mul);
  }

  private static IllegalArgumentException badSuffix(String sfx) {
    return new IllegalArgumentException("invalid suffix: '" + sfx + "'");
  }

  /** Go's strconv.Atoi, with its message. */
  static int atoi(String s) {
    if (!s.matches("[+-]?\\d+")) throw new IllegalArgumentException("strconv.Atoi: parsing " + GoQuoted.of(s) + ": invalid syntax");
    try {
      return Integer.parseInt(s.startsWith("+") ? s.substring(1) : s);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("strconv.Atoi: parsing " + GoQuoted.of(s) + ": value out of range");
    }
  }

  /** Go's strconv.ParseBool. */
  static boolean parseBool(String s) {
    return switch (s) {
      case "1", "t", "T", "TRUE", "true", "True" -> true;
      case "0", "f", "F", "FALSE", "false", "False" -> false;
      default -> throw new IllegalArgumentException("strconv.ParseBool: parsing " + GoQuoted.of(s) + ": invalid syntax");
    };
  }

  private static final class GoQuoted {
    static String of(String s) {
      return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
  }
}
