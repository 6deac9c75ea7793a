package dev.berth.image.store;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.List;

/**
 * Where each layer of an image came from. {@code source} is one of pull, import, commit, load;
 * pulled layers carry registry, repository and digest, the others the path they came from.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Provenance(String image, String manifest, List<Layer> layers) {
    public Provenance { layers = layers == null ? List.of() : List.copyOf(layers); }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Layer(String digest, String diffId, String source, String registry, String repository,
                        String path, String time) {
        public static Layer pulled(String digest, String diffId, String registry, String repository) {
            return new Layer(digest, diffId, "pull", registry, repository, null, Instant.now().toString());
        }
        public static Layer local(String source, String digest, String diffId, String path) {
            return new Layer(digest, diffId, source, null, null, path, Instant.now().toString());
        }
        public String describe() {
            return switch (source) {
                case "pull" -> "pulled from " + registry + "/" + repository + "@" + digest + " at " + time;
                case "commit" -> "committed from " + (path == null ? "?" : path) + " at " + time;
                default -> source + " of " + (path == null ? "?" : path) + " at " + time;
            };
        }
    }
}
