package dev.berth.engine.spec;

/** Go's {@code %q} for the strings dockerd's messages quote (printable ASCII is kept). */
final class GoQuote {
  private GoQuote() {}

  static String q(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\t' -> b.append("\\t");
        case '\r' -> b.append("\\r");
        default -> {
          if (c < 0x20 || c == 0x7f) b.append(String.format("\\x%02x", (int) c));
          else b.append(c);
        }
      }
    }
    return b.append('"').toString();
  }
}
