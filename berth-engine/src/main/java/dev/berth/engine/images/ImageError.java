package dev.berth.engine.images;

import dev.berth.image.api.ImageException;

/**
 * A failure of the images service, with its kind (what the API turns into a status: 400, 404,
 * 409, 500) and dockerd's message. No HTTP here: berth-api maps {@link Kind} to a status.
 */
public final class ImageError extends RuntimeException {
    /** Bad input (400), no such image (404), conflict (409), anything else (500). */
    public enum Kind { INVALID, NOT_FOUND, CONFLICT, INTERNAL }

    private final Kind kind;

    public ImageError(Kind kind, String message) {
        this(kind, message, null);
    }

    public ImageError(Kind kind, String message, Throwable cause) {
        super(message, cause, false, false);
        this.kind = kind;
    }

    public Kind kind() { return kind; }

    static ImageError invalid(String m) { return new ImageError(Kind.INVALID, m); }
    static ImageError notFound(String m) { return new ImageError(Kind.NOT_FOUND, m); }
    static ImageError conflict(String m) { return new ImageError(Kind.CONFLICT, m); }

    /** dockerd's "No such image: busybox:latest" (a name with its default tag), or the ID as given. */
    static ImageError noSuchImage(String ref) {
        return notFound("No such image: " + ImageService.displayName(ref));
    }

    /** berth-image's failure as the API should answer it. */
    static ImageError of(ImageException e) {
        return switch (e) {
            case ImageException.InvalidReference x -> new ImageError(Kind.INVALID, x.getMessage(), x);
            case ImageException.NotFound x -> new ImageError(Kind.NOT_FOUND, x.getMessage(), x);
            case ImageException.DigestMismatch x -> new ImageError(Kind.INVALID, x.getMessage(), x);
            case ImageException.UnsafeArchive x -> new ImageError(Kind.INVALID, x.getMessage(), x);
            case ImageException.BadManifest x -> new ImageError(Kind.INVALID, x.getMessage(), x);
            case ImageException.Registry x -> new ImageError(x.status() == 404 ? Kind.NOT_FOUND
                    : x.status() == 401 || x.status() == 403 ? Kind.INVALID : Kind.INTERNAL, x.getMessage(), x);
            default -> new ImageError(Kind.INTERNAL, e.getMessage(), e);
        };
    }
}
