package dev.berth.engine.containers;

/**
 * A failure of a container operation, with the kind the API turns into a status: NOT_FOUND 404,
 * CONFLICT 409, INVALID 400, NOT_MODIFIED 304, SYSTEM 500. The message is dockerd's where a client
 * may match on it.
 */
public final class EngineException extends RuntimeException {
  public enum Kind { NOT_FOUND, CONFLICT, INVALID, NOT_MODIFIED, SYSTEM }

  private final Kind kind;

  public EngineException(Kind kind, String message) {
    super(message, null, false, false);
    this.kind = kind;
  }

  public EngineException(Kind kind, String message, Throwable cause) {
    super(message, cause, false, false);
    this.kind = kind;
  }

  public Kind kind() { return kind; }

  public static EngineException notFound(String ref) { return new EngineException(Kind.NOT_FOUND, "No such container: " + ref); }
  public static EngineException invalid(String m) { return new EngineException(Kind.INVALID, m); }
  public static EngineException conflict(String m) { return new EngineException(Kind.CONFLICT, m); }
  public static EngineException system(String m) { return new EngineException(Kind.SYSTEM, m); }
}
