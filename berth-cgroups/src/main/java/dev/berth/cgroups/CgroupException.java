package dev.berth.cgroups;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * A cgroup operation failed. {@link #resource()} is the control file or knob (e.g. {@code cpuset.cpus}),
 * {@link #value()} the offending value, {@link #path()} the directory or file involved; any may be null.
 * Messages are lower case: {@code cpuset.cpus "7-9": outside the online cpus 0-1}.
 */
public final class CgroupException extends RuntimeException {
    private final String resource;
    private final String value;
    private final Path path;

    public CgroupException(String message, String resource, String value, Path path, Throwable cause) {
        super(message, cause);
        this.resource = resource;
        this.value = value;
        this.path = path;
    }

    /** Bad input, found before anything was written. */
    public static CgroupException badValue(String resource, Object value, String reason) {
        return new CgroupException(resource + " \"" + value + "\": " + reason, resource, String.valueOf(value), null, null);
    }

    /** The kernel (or the file system) refused a write. */
    public static CgroupException writeFailed(Path file, String value, Throwable cause) {
        String res = file.getFileName().toString();
        return new CgroupException(res + " \"" + value + "\": " + reason(cause) + " (" + file + ")", res, value, file, cause);
    }

    public static CgroupException io(String what, Path path, Throwable cause) {
        return new CgroupException(what + " " + path + ": " + reason(cause), null, null, path, cause);
    }

    public static CgroupException state(String message, Path path) {
        return new CgroupException(message, null, null, path, null);
    }

    public static String reason(Throwable t) {
        if (t instanceof UncheckedIOException u) t = u.getCause();
        if (t instanceof IOException io) {
            String m = io.getMessage();
            // The JDK puts the path first ("/x/y: Invalid argument"); keep the errno text.
            if (m != null && m.contains(": ")) return m.substring(m.lastIndexOf(": ") + 2);
            return m == null ? t.getClass().getSimpleName() : m;
        }
        return String.valueOf(t.getMessage());
    }

    public String resource() { return resource; }
    public String value() { return value; }
    public Path path() { return path; }
}
