package dev.berth.image.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/** An image index / manifest list, also the store's own index.json. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Index(int schemaVersion, String mediaType, List<Descriptor> manifests, Map<String, String> annotations) {
    public Index {
        if (schemaVersion != 2) throw new ImageException.BadManifest("index schemaVersion " + schemaVersion + " is not supported (want 2)");
        if (manifests != null)   // (List.of's contains(null) would throw)
            for (int i = 0; i < manifests.size(); i++) if (manifests.get(i) == null) throw new ImageException.BadManifest("index entry " + i + " is null");
        manifests = manifests == null ? List.of() : List.copyOf(manifests);
    }

    /** The manifest for {@code p} in this index, or NotFound listing what there is. */
    public Descriptor select(Platform p) {
        for (Descriptor d : manifests) {
            var dp = d.platform();
            if (dp != null && MediaTypes.isManifest(d.mediaType()) && p.matches(dp.os(), dp.architecture(), dp.variant())) return d;
        }
        StringBuilder have = new StringBuilder();
        for (Descriptor d : manifests)
            if (d.platform() != null) have.append(' ').append(d.platform().os()).append('/').append(d.platform().architecture())
                    .append(d.platform().variant() != null ? "/" + d.platform().variant() : "");
        throw new ImageException.NotFound("no manifest for platform " + p + " in index (has:" + have + ")");
    }
}
