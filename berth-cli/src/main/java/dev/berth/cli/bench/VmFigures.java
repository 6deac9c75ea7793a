package dev.berth.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * VM figures for context, read only from bench/vm-published.json (each with its source and URL):
 * this machine boots no nested guests, so the bench never measures or estimates a VM.
 */
public final class VmFigures {
    private VmFigures() {}

    public static List<Report.Published> load(Path repo) {
        if (repo == null) return List.of();
        Path f = repo.resolve("bench/vm-published.json");
        if (!Files.isRegularFile(f)) return List.of();
        try {
            List<Report.Published> out = new ArrayList<>();
            for (JsonNode n : Bundles.JSON.readTree(f.toFile()).get("figures")) {
                for (String k : List.of("what", "value", "source", "url"))
                    if (!n.hasNonNull(k)) throw new BenchException(f + ": a figure without '" + k + "' (every VM figure must be cited)");
                out.add(new Report.Published(n.get("what").asText(), n.get("value").asText(), n.get("source").asText(), n.get("url").asText(),
                        n.hasNonNull("note") ? n.get("note").asText() : null));
            }
            return out;
        } catch (IOException e) {
            throw new BenchException(f + ": " + e.getMessage());
        }
    }
}
