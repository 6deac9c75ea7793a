package dev.berth.engine.networks;

/**
 * A refused network operation with the HTTP status dockerd answers it with (400 bad input, 403
 * forbidden: predefined network, active endpoints, overlapping pool; 404 no such network or
 * container; 409 name taken; 500 the kernel refused).
 */
public final class NetworkException extends RuntimeException {
  private final int status;

  public NetworkException(int status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  public int status() { return status; }

  static NetworkException invalid(String m) { return new NetworkException(400, m); }

  static NetworkException forbidden(String m) { return new NetworkException(403, m); }

  static NetworkException notFound(String m) { return new NetworkException(404, m); }

  static NetworkException conflict(String m) { return new NetworkException(409, m); }

  static NetworkException system(String m) { return new NetworkException(500, m); }
}
