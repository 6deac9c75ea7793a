package dev.berth.api.http;

import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * An error the API answers with Docker's JSON body {@code {"message": ...}} and the status that
 * names its kind (400 bad parameter, 404 no such object, 409 conflict, 500 server error). Handlers
 * throw it; {@link ResourceHandler} turns it into the response in one place.
 */
public final class ApiException extends RuntimeException {
    private final HttpResponseStatus status;

    public ApiException(HttpResponseStatus status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    public HttpResponseStatus status() { return status; }

    public static ApiException badRequest(String message) { return new ApiException(HttpResponseStatus.BAD_REQUEST, message); }
    public static ApiException notFound(String message) { return new ApiException(HttpResponseStatus.NOT_FOUND, message); }
    public static ApiException conflict(String message) { return new ApiException(HttpResponseStatus.CONFLICT, message); }
    public static ApiException internal(String message) { return new ApiException(HttpResponseStatus.INTERNAL_SERVER_ERROR, message); }
}
