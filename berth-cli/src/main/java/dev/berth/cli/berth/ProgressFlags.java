package dev.berth.cli.berth;

import dev.berth.image.api.ImageException;
import dev.berth.image.registry.JsonProgress;
import java.io.PrintWriter;
import picocli.CommandLine.Option;

/** How pull and push show progress: --progress=auto|plain|tty|json, -q. */
final class ProgressFlags {
    @Option(names = "--progress", paramLabel = "MODE", description = {
            "auto (default: bars on a terminal, else a line per change), plain, tty, or json:",
            "the Docker Engine API's JSON messages, one per line (status, id, progressDetail, ..., error)"})
    String progress = "auto";

    @Option(names = {"-q", "--quiet"}, description = "print only the image reference") boolean quiet;

    enum Mode { PLAIN, TTY, JSON, QUIET }

    Mode mode() {
        Mode m = switch (progress) {
            case "auto" -> BerthMain.stdoutIsTerminal() ? Mode.TTY : Mode.PLAIN;
            case "plain" -> Mode.PLAIN;
            case "tty" -> Mode.TTY;
            case "json" -> Mode.JSON;
            default -> throw new ImageException.InvalidReference("unknown --progress " + progress + " (auto, plain, tty or json)");
        };
        if (quiet && m == Mode.JSON) throw new ImageException.InvalidReference("--quiet and --progress=json exclude each other");
        return quiet ? Mode.QUIET : m;
    }

    static JsonProgress json(PrintWriter out) {
        return JsonProgress.to(line -> { synchronized (out) { out.println(line); out.flush(); } });
    }
}
