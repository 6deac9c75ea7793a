package dev.berth.image.registry;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Set;

/**
 * One registry call (Jib's style): how to build the request and how to read a successful answer.
 * {@link RegistryClient} runs it and owns authentication, retries and error mapping.
 */
public interface RegistryEndpoint<T> {
    /** What this call does, for error messages ("pull manifest library/busybox:latest"). */
    String describe();

    /** Token scopes the call needs, e.g. {@code repository:library/busybox:pull}. */
    List<String> scopes();

    HttpRequest.Builder request(URI base) throws IOException;

    /** Statuses that mean success; anything else is an error (401 triggers authentication). */
    Set<Integer> ok();

    T handle(HttpResponse<InputStream> response) throws IOException;

    /** Whether the call may be repeated after an I/O error or a 5xx. */
    default boolean retryable() { return true; }

    static String pull(String repo) { return "repository:" + repo + ":pull"; }
    static String push(String repo) { return "repository:" + repo + ":pull,push"; }
}
