package dev.berth.image.registry;

import dev.berth.image.api.Digest;
import dev.berth.image.api.ImageException;
import dev.berth.image.store.Store;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

/**
 * Blob upload, two calls: {@link Start} POSTs /v2/NAME/blobs/uploads/ (with {@code mount=&from=} for a
 * cross-repository mount: 201 means mounted, 202 gives an upload URL), {@link Finish} PUTs the whole
 * blob to that URL with {@code ?digest=}.
 */
public final class BlobUploader {
    private BlobUploader() {}

    /** Mounted (location null) or an upload location. */
    public record Started(boolean mounted, URI location) {}

    public static final class Start implements RegistryEndpoint<Started> {
        private final String repository;
        private final Digest mount;
        private final String from;

        public Start(String repository, Digest mount, String from) { this.repository = repository; this.mount = mount; this.from = from; }

        @Override public String describe() { return (mount != null ? "mount blob " + mount + " from " + from + " into " : "start upload to ") + repository; }
        @Override public List<String> scopes() {
            return mount != null ? List.of(RegistryEndpoint.push(repository), RegistryEndpoint.pull(from)) : List.of(RegistryEndpoint.push(repository));
        }
        @Override public Set<Integer> ok() { return Set.of(201, 202); }

        @Override public HttpRequest.Builder request(URI base) {
            String q = mount == null ? "" : "?mount=" + mount + "&from=" + URLEncoder.encode(from, StandardCharsets.UTF_8);
            return HttpRequest.newBuilder(base.resolve("/v2/" + repository + "/blobs/uploads/" + q)).POST(HttpRequest.BodyPublishers.noBody());
        }

        @Override public Started handle(HttpResponse<InputStream> r) throws java.io.IOException {
            r.body().close();
            if (r.statusCode() == 201) return new Started(true, null);
            String loc = r.headers().firstValue("Location").orElseThrow(() ->
                    new ImageException.Registry(r.statusCode(), describe() + ": no Location in upload answer", null));
            return new Started(false, r.uri().resolve(loc));
        }
    }

    public static final class Finish implements RegistryEndpoint<Void> {
        private final Store store;
        private final String repository;
        private final URI location;
        private final Digest digest;

        public Finish(Store store, String repository, URI location, Digest digest) {
            this.store = store; this.repository = repository; this.location = location; this.digest = digest;
        }

        @Override public String describe() { return "upload blob " + digest + " to " + repository; }
        @Override public List<String> scopes() { return List.of(RegistryEndpoint.push(repository)); }
        @Override public Set<Integer> ok() { return Set.of(201, 204); }
        // An upload URL is single-use: a broken PUT is redone by the pusher with a new Start.
        @Override public boolean retryable() { return false; }

        @Override public HttpRequest.Builder request(URI base) throws java.io.IOException {
            String sep = location.toString().contains("?") ? "&" : "?";
            return HttpRequest.newBuilder(URI.create(location + sep + "digest=" + URLEncoder.encode(digest.toString(), StandardCharsets.UTF_8)))
                    .header("Content-Type", "application/octet-stream")
                    .PUT(HttpRequest.BodyPublishers.ofFile(store.blobPath(digest)));
        }

        @Override public Void handle(HttpResponse<InputStream> r) throws java.io.IOException {
            r.body().close();
            return null;
        }
    }
}
