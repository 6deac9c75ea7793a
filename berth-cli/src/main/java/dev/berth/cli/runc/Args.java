package dev.berth.cli.runc;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Parsed flags and positionals of one command, urfave/cli style as runc accepts them:
 * {@code --flag value}, {@code --flag=value}, {@code -f value}, a single dash for long names too,
 * booleans with optional {@code =true|false}; flags end at the first positional or at {@code --}
 * (so {@code exec ID sh -c ...} and {@code kill ID 9} read naturally).
 */
public final class Args {
  private final Map<String, List<String>> values = new HashMap<>();
  private final List<String> positionals = new ArrayList<>();
  private final String command;

  private Args(String command) {
    this.command = command;
  }

  /** Parses {@code args[from..]}; returns the index after the flags (the first positional). */
  static Args parse(String command, List<Flag> flags, String[] args, int from, boolean stopAtPositional) {
    Args a = new Args(command);
    int i = from;
    for (; i < args.length; i++) {
      String t = args[i];
      if (t.equals("--")) {
        i++;
        break;
      }
      if (!t.startsWith("-") || t.equals("-")) {
        if (stopAtPositional) break;
        a.positionals.add(t);
        continue;
      }
      String name = t.startsWith("--") ? t : "-" + t; // -root → --root (urfave accepts one dash)
      String inline = null;
      int eq = name.indexOf('=');
      if (eq > 0) {
        inline = name.substring(eq + 1);
        name = name.substring(0, eq);
      }
      Flag f = find(flags, name, t);
      if (f == null) throw new UsageException(command + ": unknown flag " + t);
      String v;
      if (f.value() == null) {
        v = inline == null ? "true" : inline;
        if (!v.equals("true") && !v.equals("false")) throw new UsageException(command + ": " + f.name() + " takes true or false");
      } else if (inline != null) {
        v = inline;
      } else {
        if (i + 1 >= args.length) throw new UsageException(command + ": " + f.name() + " needs a value");
        v = args[++i];
      }
      a.values.computeIfAbsent(f.name(), k -> new ArrayList<>()).add(v);
    }
    for (; i < args.length; i++) a.positionals.add(args[i]);
    return a;
  }

  private static Flag find(List<Flag> flags, String name, String raw) {
    for (Flag f : flags) {
      if (f.matches(name) || f.matches(raw)) return f;
    }
    return null;
  }

  public String string(String flag) {
    List<String> v = values.get(flag);
    return v == null ? null : v.getLast();
  }

  public String string(String flag, String dflt) {
    String v = string(flag);
    return v == null ? dflt : v;
  }

  public List<String> strings(String flag) {
    return values.getOrDefault(flag, List.of());
  }

  public boolean bool(String flag) {
    return "true".equals(string(flag));
  }

  public Path path(String flag) {
    String v = string(flag);
    return v == null ? null : Path.of(v);
  }

  public Long longValue(String flag) {
    String v = string(flag);
    if (v == null) return null;
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new UsageException(command + ": " + flag + ": expected a number, got \"" + v + "\"");
    }
  }

  public int intValue(String flag, int dflt) {
    Long v = longValue(flag);
    return v == null ? dflt : Math.toIntExact(v);
  }

  /** Names of the flags that were given. */
  public java.util.Set<String> given() {
    return values.keySet();
  }

  public List<String> positionals() {
    return positionals;
  }

  /** The n-th positional, required. */
  public String positional(int n, String label) {
    if (positionals.size() <= n) throw new UsageException(command + ": missing " + label);
    return positionals.get(n);
  }

  public String id() {
    return positional(0, "<container-id>");
  }
}
