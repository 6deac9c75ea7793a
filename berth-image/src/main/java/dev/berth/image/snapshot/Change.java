package dev.berth.image.snapshot;

/** One line of {@code diff}: A added, C changed, D deleted, as {@code docker diff} prints. */
public record Change(Kind kind, String path) {
    public enum Kind { A, C, D }
    @Override public String toString() { return kind + " " + path; }
}
