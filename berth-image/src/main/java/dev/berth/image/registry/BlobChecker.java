package dev.berth.image.registry;

import dev.berth.image.api.Digest;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Set;

/** HEAD /v2/NAME/blobs/DIGEST: whether the registry has the blob in that repository. */
public final class BlobChecker implements RegistryEndpoint<Boolean> {
    private final String repository;
    private final Digest digest;
    private final boolean forPush;

    public BlobChecker(String repository, Digest digest, boolean forPush) { this.repository = repository; this.digest = digest; this.forPush = forPush; }

    @Override public String describe() { return "check blob " + repository + "@" + digest; }
    @Override public List<String> scopes() { return List.of(forPush ? RegistryEndpoint.push(repository) : RegistryEndpoint.pull(repository)); }
    @Override public Set<Integer> ok() { return Set.of(200, 404); }

    @Override public HttpRequest.Builder request(URI base) {
        return HttpRequest.newBuilder(base.resolve("/v2/" + repository + "/blobs/" + digest)).method("HEAD", HttpRequest.BodyPublishers.noBody());
    }

    @Override public Boolean handle(HttpResponse<InputStream> r) throws java.io.IOException {
        r.body().close();
        return r.statusCode() == 200;
    }
}
