package dev.berth.cli.runc;

/** A command line that cannot be parsed: unknown flag, missing value or argument. */
public final class UsageException extends RuntimeException {
  public UsageException(String message) {
    super(message);
  }
}
