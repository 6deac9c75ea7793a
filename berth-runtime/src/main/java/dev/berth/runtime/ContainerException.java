package dev.berth.runtime;

/**
 * A lifecycle operation that cannot proceed. {@link Kind} is what callers match on (the CLI maps
 * it to an exit code, the daemon to an HTTP status); the message names the id and the cause.
 */
public final class ContainerException extends RuntimeException {
  public enum Kind { NOT_FOUND, EXISTS, WRONG_STATE, INVALID, SYSTEM }

  private final Kind kind;

  public ContainerException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public ContainerException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  public static ContainerException notFound(String id) {
    return new ContainerException(Kind.NOT_FOUND, "container \"" + id + "\" does not exist");
  }

  public static ContainerException wrongState(String id, Object status, String action) {
    return new ContainerException(Kind.WRONG_STATE, "cannot " + action + " container \"" + id + "\": it is " + status);
  }

  public static ContainerException invalid(String message) {
    return new ContainerException(Kind.INVALID, message);
  }
}
