package dev.berth.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * fanotify(7): fanotify_init(2) and fanotify_mark(2), for {@link LinuxSyscalls}. Events are read
 * and permission responses written with the ordinary {@link Syscalls#read} and
 * {@link Syscalls#writeFully}; the constants and the layouts of both records are here.
 */
public final class Fanotify {
    private Fanotify() {}

    public static final int FAN_CLOEXEC = 0x1, FAN_NONBLOCK = 0x2, FAN_CLASS_CONTENT = 0x4;
    public static final int FAN_MARK_ADD = 0x1, FAN_MARK_REMOVE = 0x2, FAN_MARK_MOUNT = 0x10, FAN_MARK_FILESYSTEM = 0x100;
    public static final long FAN_OPEN_EXEC_PERM = 0x00040000L;
    public static final int FAN_ALLOW = 0x1, FAN_DENY = 0x2;
    /** O_RDONLY | O_LARGEFILE | O_CLOEXEC: the flags of the event descriptors. */
    public static final int EVENT_F_FLAGS = 0x8000 | 0x80000;
    /** sizeof(struct fanotify_event_metadata): event_len u32, vers u8, reserved u8, metadata_len u16, mask u64, fd s32, pid s32. */
    public static final int METADATA_LEN = 24;
    public static final int FANOTIFY_METADATA_VERSION = 3;
    private static final int AT_FDCWD = -100;

    private static final class Init { static final MethodHandle H = Native.libcErrno("fanotify_init", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT)); }
    private static final class Mark { static final MethodHandle H = Native.libcErrno("fanotify_mark", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, ADDRESS)); }

    static int init(int flags, int eventFlags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Native.CAPTURE_LAYOUT);
            int fd = (int) Init.H.invokeExact(st, flags, eventFlags);
            if (fd < 0) throw new SyscallException("fanotify_init", Native.errno(st));
            return fd;
        } catch (Throwable t) { throw Native.rethrow(t); }
    }

    static void mark(int fd, int flags, long mask, String path) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Native.CAPTURE_LAYOUT);
            int r = (int) Mark.H.invokeExact(st, fd, flags, mask, AT_FDCWD, a.allocateFrom(path));
            if (r < 0) throw new SyscallException("fanotify_mark", Native.errno(st), path);
        } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /** One event record of a read buffer (little-endian, as the kernel writes it on x86-64/arm64). */
    public record Event(int length, long mask, int fd, int pid) {
        public static Event at(byte[] b, int off) {
            java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(b, off, METADATA_LEN).order(java.nio.ByteOrder.nativeOrder());
            int len = bb.getInt(off);
            int vers = b[off + 4] & 0xff;
            if (vers != FANOTIFY_METADATA_VERSION) throw new SyscallException("fanotify read", 0, "metadata version " + vers);
            return new Event(len, bb.getLong(off + 8), bb.getInt(off + 16), bb.getInt(off + 20));
        }
    }

    /** struct fanotify_response {s32 fd; u32 response}: the answer to a permission event. */
    public static byte[] response(int fd, int answer) {
        return java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.nativeOrder()).putInt(fd).putInt(answer).array();
    }
}
