package dev.berth.sys;

/**
 * A failed system call: the call's name, the errno it set, and the path it was about, if any.
 *
 * <p>The message reads like Go's {@code os.PathError}, lower case except for the kernel's own
 * words: {@code open /x/y: No such file or directory (ENOENT)}, or {@code kill 1234: No such
 * process (ESRCH)} where the subject is not a path.
 */
public final class SyscallException extends RuntimeException {
    private final String syscall;
    private final int errno;
    private final String path;

    /** A failure of {@code syscall} with {@code errno}, about no particular path. */
    public SyscallException(String syscall, int errno) {
        this(syscall, errno, null);
    }

    /** A failure of {@code syscall} on {@code path} (or other subject; may be null). */
    public SyscallException(String syscall, int errno, String path) {
        super(message(syscall, errno, path));
        this.syscall = syscall;
        this.errno = errno;
        this.path = path;
    }

    private static String message(String syscall, int errno, String path) {
        StringBuilder sb = new StringBuilder(syscall);
        if (path != null) {
            sb.append(' ').append(path);
        }
        return sb.append(": ").append(Errno.description(errno))
                .append(" (").append(Errno.name(errno)).append(')').toString();
    }

    /** The system call, as its libc function is named ("open", "memfd_create"). */
    public String syscall() {
        return syscall;
    }

    /** The errno value the call set. */
    public int errno() {
        return errno;
    }

    /** The symbolic errno name ("ENOENT"). */
    public String errnoName() {
        return Errno.name(errno);
    }

    /** The path (or other subject, such as a pid) the call was about; null if none. */
    public String path() {
        return path;
    }
}
