package dev.berth.spec;

/**
 * A config.json (or process.json) that cannot be used: malformed JSON, a wrong type, a missing or
 * inconsistent field. The message names the JSON path and the offending value, lower case.
 */
public final class SpecException extends RuntimeException {
  private final String field;

  public SpecException(String field, String message) {
    super(field.isEmpty() ? message : field + ": " + message);
    this.field = field;
  }

  public SpecException(String field, String message, Throwable cause) {
    super(field.isEmpty() ? message : field + ": " + message, cause);
    this.field = field;
  }

  /** The JSON path of the offending field, e.g. {@code process.args[0]}; empty for the whole file. */
  public String field() {
    return field;
  }
}
