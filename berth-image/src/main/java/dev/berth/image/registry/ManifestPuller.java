package dev.berth.image.registry;

import dev.berth.image.api.Digest;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.MediaTypes;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Set;

/** GET /v2/NAME/manifests/REF: the manifest or index bytes, their media type and digest (checked). */
public final class ManifestPuller implements RegistryEndpoint<ManifestPuller.Result> {
    public record Result(byte[] bytes, String mediaType, Digest digest) {}

    private static final String ACCEPT = String.join(", ", MediaTypes.OCI_INDEX, MediaTypes.OCI_MANIFEST,
            MediaTypes.DOCKER_LIST, MediaTypes.DOCKER_MANIFEST);

    private final String repository;
    private final String reference;

    public ManifestPuller(String repository, String reference) { this.repository = repository; this.reference = reference; }

    @Override public String describe() { return "pull manifest " + repository + ":" + reference; }
    @Override public List<String> scopes() { return List.of(RegistryEndpoint.pull(repository)); }
    @Override public Set<Integer> ok() { return Set.of(200); }

    @Override public HttpRequest.Builder request(URI base) {
        return HttpRequest.newBuilder(base.resolve("/v2/" + repository + "/manifests/" + reference)).header("Accept", ACCEPT).GET();
    }

    @Override public Result handle(HttpResponse<InputStream> r) throws IOException {
        byte[] b;
        try (InputStream in = r.body()) { b = in.readNBytes((4 << 20) + 1); }
        if (b.length > 4 << 20) throw new ImageException.BadManifest(describe() + ": manifest larger than 4 MiB");
        Digest actual = Digest.of(b);
        if (Digest.isDigest(reference) && !Digest.parse(reference).equals(actual))
            throw new ImageException.DigestMismatch(describe() + ": registry sent content hashing to " + actual);
        String header = r.headers().firstValue("Docker-Content-Digest").orElse(null);
        if (header != null && Digest.isDigest(header) && !Digest.parse(header).equals(actual))
            throw new ImageException.DigestMismatch(describe() + ": Docker-Content-Digest " + header + " but content hashes to " + actual);
        String mt = r.headers().firstValue("Content-Type").orElse("").split(";")[0].trim();
        if (!MediaTypes.isManifest(mt) && !MediaTypes.isIndex(mt)) {
            var j = dev.berth.image.api.Json.MAPPER.readTree(b);
            mt = j.path("mediaType").asText("");
            if (mt.isEmpty()) mt = j.has("manifests") ? MediaTypes.OCI_INDEX : MediaTypes.OCI_MANIFEST;
        }
        if (!MediaTypes.isManifest(mt) && !MediaTypes.isIndex(mt))
            throw new ImageException.BadManifest(describe() + ": unsupported manifest media type " + mt);
        return new Result(b, mt, actual);
    }
}
