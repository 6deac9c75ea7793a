package dev.berth.cli.runc;

/**
 * One command-line flag as runc spells it.
 *
 * @param value the value's placeholder in help, or null for a boolean flag
 */
public record Flag(String name, String alias, String value, String help) {
  public static Flag bool(String name, String alias, String help) {
    return new Flag(name, alias, null, help);
  }

  public static Flag value(String name, String alias, String value, String help) {
    return new Flag(name, alias, value, help);
  }

  boolean matches(String token) {
    return token.equals(name) || (alias != null && token.equals(alias));
  }
}
