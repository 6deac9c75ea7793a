package dev.berth.cli.bench;

/** A step of the bench that failed, with a message naming what and why. */
public final class BenchException extends RuntimeException {
    public BenchException(String message) { super(message); }
}
