package dev.berth.cli.berth;

import dev.berth.image.api.ImageException;

/** {@code --format text|json}: bad values are bad input (exit 2) naming the value. */
final class Format {
    private Format() {}

    static boolean json(String format) {
        return switch (format) {
            case "json" -> true;
            case "text" -> false;
            default -> throw new ImageException.InvalidReference("unknown --format " + format + " (text or json)");
        };
    }
}
