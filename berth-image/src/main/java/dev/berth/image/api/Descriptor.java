package dev.berth.image.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/** An OCI content descriptor. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Descriptor(String mediaType, String digest, long size, Map<String, String> annotations,
                         DescriptorPlatform platform, List<String> urls) {
    public Descriptor {
        if (digest == null) throw new ImageException.BadManifest("descriptor without digest");
        Digest.parse(digest);
        if (size < 0) throw new ImageException.BadManifest("descriptor " + digest + " has negative size " + size);
        if (annotations != null)   // (Map.of's containsValue(null) would throw)
            for (var a : annotations.entrySet())
                if (a.getValue() == null) throw new ImageException.BadManifest("descriptor " + digest + ": annotation " + a.getKey() + " has no value");
        annotations = annotations == null || annotations.isEmpty() ? null : Map.copyOf(annotations);
    }

    public static Descriptor of(String mediaType, Digest digest, long size) {
        return new Descriptor(mediaType, digest.toString(), size, null, null, null);
    }

    public Digest digestValue() { return Digest.parse(digest); }

    public Descriptor withAnnotations(Map<String, String> a) {
        return new Descriptor(mediaType, digest, size, a, platform, urls);
    }

    public String annotation(String key) { return annotations == null ? null : annotations.get(key); }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record DescriptorPlatform(String architecture, String os, String variant,
                                     @com.fasterxml.jackson.annotation.JsonProperty("os.version") String osVersion) {}
}
