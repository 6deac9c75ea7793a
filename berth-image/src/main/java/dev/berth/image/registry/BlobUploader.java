package dev.berth.image.registry;

import dev.berth.image.api.Digest;
import dev.berth.image.api.ImageException;
import dev.berth.image.store.Store;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.function.LongConsumer;

/**
 * Blob upload (OCI distribution spec): {@link Start} POSTs /v2/NAME/blobs/uploads/ (with
 * {@code mount=&from=} for a cross-repository mount: 201 means mounted, 202 gives an upload URL);
 * then either {@link Finish} PUTs the whole blob to that URL with {@code ?digest=} (monolithic), or
 * {@link Chunk} PATCHes it piece by piece ({@code Content-Range: start-end}; each answer gives the
 * URL for the next request and the registry's {@code Range}), {@link Status} GETs the upload URL to
 * learn how much the registry holds after a failure, and {@link Finish} without a body closes it.
 */
public final class BlobUploader {
    private BlobUploader() {}

    /** Mounted (location null) or an upload location. */
    public record Started(boolean mounted, URI location) {}

    /**
     * Where an upload stands: the URL for the next request and the bytes the registry holds
     * ({@code Range: 0-N} gives N+1; no Range, or distribution's {@code 0-0} for an empty upload, 0).
     */
    public record Upload(URI location, long received) {}

    private static Upload upload(HttpResponse<InputStream> r, URI current) {
        URI loc = r.headers().firstValue("Location").map(l -> r.uri().resolve(l)).orElse(current);
        long received = 0;
        String range = r.headers().firstValue("Range").orElse("").trim();
        if (range.startsWith("bytes=")) range = range.substring(6);
        int dash = range.indexOf('-');
        if (dash > 0) {
            try {
                long end = Long.parseLong(range.substring(dash + 1).trim());
                received = end <= 0 ? 0 : end + 1;
            } catch (NumberFormatException e) {
                throw new ImageException.Registry(r.statusCode(), "upload " + current.getPath() + ": malformed Range " + range, null);
            }
        }
        return new Upload(loc, received);
    }

    /** The bytes {@code [offset, offset+length)} of {@code file}, counted into {@code sent} (absolute positions) as they go. */
    static HttpRequest.BodyPublisher slice(Path file, long offset, long length, LongConsumer sent) {
        return HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> {
            try {
                InputStream in = Files.newInputStream(file);
                in.skipNBytes(offset);
                return new Counting(in, offset, length, sent);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }), length);
    }

    /** Reads at most {@code length} bytes, reporting the position every 256 KiB and at the end. */
    private static final class Counting extends FilterInputStream {
        private final long end;
        private final LongConsumer sent;
        private long pos, reported;

        Counting(InputStream in, long start, long length, LongConsumer sent) {
            super(in);
            this.pos = start;
            this.reported = start;
            this.end = start + length;
            this.sent = sent;
        }

        @Override public int read() throws IOException {
            byte[] b = new byte[1];
            return read(b, 0, 1) < 0 ? -1 : b[0] & 0xff;
        }

        @Override public int read(byte[] b, int off, int len) throws IOException {
            if (pos >= end) return -1;
            int n = super.read(b, off, (int) Math.min(len, end - pos));
            if (n > 0) {
                pos += n;
                if (sent != null && (pos - reported >= 256 << 10 || pos == end)) { reported = pos; sent.accept(pos); }
            }
            return n;
        }
    }

    /** PATCH of one chunk; the answer's Location is where the next request goes. */
    public static final class Chunk implements RegistryEndpoint<Upload> {
        private final Path file;
        private final String repository;
        private final URI location;
        private final Digest digest;
        private final long offset, length;
        private final LongConsumer sent;

        public Chunk(Store store, String repository, URI location, Digest digest, long offset, long length, LongConsumer sent) {
            this.file = store.blobPath(digest);
            this.repository = repository; this.location = location; this.digest = digest;
            this.offset = offset; this.length = length; this.sent = sent;
        }

        @Override public String describe() { return "upload bytes " + offset + "-" + (offset + length - 1) + " of blob " + digest + " to " + repository; }
        @Override public List<String> scopes() { return List.of(RegistryEndpoint.push(repository)); }
        @Override public Set<Integer> ok() { return Set.of(202, 204); }
        // Not blind-repeatable: after a failure the pusher asks the registry what it holds (Status).
        @Override public boolean retryable() { return false; }

        @Override public HttpRequest.Builder request(URI base) {
            return HttpRequest.newBuilder(location)
                    .header("Content-Type", "application/octet-stream")
                    .header("Content-Range", offset + "-" + (offset + length - 1))
                    .method("PATCH", slice(file, offset, length, sent));
        }

        @Override public Upload handle(HttpResponse<InputStream> r) throws IOException {
            r.body().close();
            Upload u = upload(r, location);
            // a registry that sends no Range has taken the whole chunk
            return r.headers().firstValue("Range").isPresent() ? u : new Upload(u.location(), offset + length);
        }
    }

    /** GET of the upload URL: 204 with the Range the registry holds and a fresh Location. */
    public static final class Status implements RegistryEndpoint<Upload> {
        private final String repository;
        private final URI location;

        public Status(String repository, URI location) { this.repository = repository; this.location = location; }

        @Override public String describe() { return "ask the state of an upload to " + repository; }
        @Override public List<String> scopes() { return List.of(RegistryEndpoint.push(repository)); }
        @Override public Set<Integer> ok() { return Set.of(200, 204); }
        @Override public HttpRequest.Builder request(URI base) { return HttpRequest.newBuilder(location).GET(); }

        @Override public Upload handle(HttpResponse<InputStream> r) throws IOException {
            r.body().close();
            return upload(r, location);
        }
    }

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

    /** PUT ?digest=: with the whole blob (monolithic), or empty to close a chunked upload. */
    public static final class Finish implements RegistryEndpoint<Void> {
        private final Store store;
        private final String repository;
        private final URI location;
        private final Digest digest;
        private final boolean withBody;
        private final long size;
        private final LongConsumer sent;

        public Finish(Store store, String repository, URI location, Digest digest) { this(store, repository, location, digest, -1, null); }

        /** Monolithic with progress: {@code size} bytes, counted into {@code sent}. */
        public Finish(Store store, String repository, URI location, Digest digest, long size, LongConsumer sent) {
            this(store, repository, location, digest, true, size, sent);
        }

        /** Closes a chunked upload: no body. */
        public static Finish closing(Store store, String repository, URI location, Digest digest) {
            return new Finish(store, repository, location, digest, false, 0, null);
        }

        private Finish(Store store, String repository, URI location, Digest digest, boolean withBody, long size, LongConsumer sent) {
            this.store = store; this.repository = repository; this.location = location; this.digest = digest;
            this.withBody = withBody; this.size = size; this.sent = sent;
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
                    .PUT(!withBody ? HttpRequest.BodyPublishers.noBody()
                            : size >= 0 ? slice(store.blobPath(digest), 0, size, sent)
                            : HttpRequest.BodyPublishers.ofFile(store.blobPath(digest)));
        }

        @Override public Void handle(HttpResponse<InputStream> r) throws java.io.IOException {
            r.body().close();
            return null;
        }
    }
}
