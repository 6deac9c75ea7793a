package dev.berth.image.registry;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Set;

/** PUT /v2/NAME/manifests/REF with the exact stored bytes (so the digest is kept). */
public final class ManifestPusher implements RegistryEndpoint<Void> {
    private final String repository;
    private final String reference;
    private final byte[] bytes;
    private final String mediaType;

    public ManifestPusher(String repository, String reference, byte[] bytes, String mediaType) {
        this.repository = repository; this.reference = reference; this.bytes = bytes; this.mediaType = mediaType;
    }

    @Override public String describe() { return "push manifest " + repository + ":" + reference; }
    @Override public List<String> scopes() { return List.of(RegistryEndpoint.push(repository)); }
    @Override public Set<Integer> ok() { return Set.of(200, 201, 202); }

    @Override public HttpRequest.Builder request(URI base) {
        return HttpRequest.newBuilder(base.resolve("/v2/" + repository + "/manifests/" + reference))
                .header("Content-Type", mediaType).PUT(HttpRequest.BodyPublishers.ofByteArray(bytes));
    }

    @Override public Void handle(HttpResponse<InputStream> r) throws java.io.IOException {
        r.body().close();
        return null;
    }
}
