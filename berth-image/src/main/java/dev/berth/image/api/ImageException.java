package dev.berth.image.api;

/**
 * Every failure of the image subsystem. Messages are one lower-case line naming what is wrong
 * (the entry, digest, reference or URL). The CLI maps each kind to an exit code in one place.
 */
public sealed class ImageException extends RuntimeException
        permits ImageException.InvalidReference, ImageException.DigestMismatch, ImageException.UnsafeArchive,
                ImageException.NotFound, ImageException.Registry, ImageException.Store,
                ImageException.BadManifest, ImageException.Mount {

    ImageException(String message, Throwable cause) { super(message, cause); }

    /** A malformed image reference, digest, platform or name. */
    public static final class InvalidReference extends ImageException {
        public InvalidReference(String message) { super(message, null); }
    }

    /** Content did not hash to the digest it was announced with. Nothing was stored. */
    public static final class DigestMismatch extends ImageException {
        public DigestMismatch(String message) { super(message, null); }
    }

    /** A layer archive that is malicious, corrupt or truncated; names the entry. */
    public static final class UnsafeArchive extends ImageException {
        private final String entry;
        public UnsafeArchive(String entry, String message) { this(entry, message, null); }
        public UnsafeArchive(String entry, String message, Throwable cause) {
            super(entry == null ? message : "entry " + entry + ": " + message, cause);
            this.entry = entry;
        }
        public String entry() { return entry; }
    }

    /** An image, blob, container or snapshot that does not exist. */
    public static final class NotFound extends ImageException {
        public NotFound(String message) { super(message, null); }
    }

    /** A registry answered with an error or could not be reached. */
    public static final class Registry extends ImageException {
        private final int status;
        public Registry(int status, String message, Throwable cause) { super(message, cause); this.status = status; }
        public int status() { return status; }
    }

    /** I/O on the store, with the path. */
    public static final class Store extends ImageException {
        public Store(String message, Throwable cause) { super(message, cause); }
    }

    /** A manifest, index or config that is malformed, has a wrong media type or misses blobs. */
    public static final class BadManifest extends ImageException {
        public BadManifest(String message) { super(message, null); }
    }

    /** A mount(2)/umount2(2) failure, with errno and path. */
    public static final class Mount extends ImageException {
        public Mount(String message) { super(message, null); }
    }
}
