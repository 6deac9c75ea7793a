package dev.berth.image.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/** An image manifest (OCI or Docker schema 2). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Manifest(int schemaVersion, String mediaType, Descriptor config, List<Descriptor> layers,
                       Map<String, String> annotations) {
    public Manifest {
        if (schemaVersion != 2) throw new ImageException.BadManifest("manifest schemaVersion " + schemaVersion + " is not supported (want 2)");
        if (config == null) throw new ImageException.BadManifest("manifest has no config");
        if (config.mediaType() == null || !MediaTypes.CONFIGS.contains(config.mediaType()))
            throw new ImageException.BadManifest("manifest config has wrong media type: " + config.mediaType());
        if (layers != null)   // (List.of's contains(null) would throw)
            for (int i = 0; i < layers.size(); i++) if (layers.get(i) == null) throw new ImageException.BadManifest("manifest layer " + i + " is null");
        layers = layers == null ? List.of() : List.copyOf(layers);
        for (Descriptor l : layers)
            if (!MediaTypes.isLayer(l.mediaType()))
                throw new ImageException.BadManifest("layer " + l.digest() + " has unsupported media type: " + l.mediaType());
    }
}
