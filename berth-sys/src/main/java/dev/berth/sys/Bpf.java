package dev.berth.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/** bpf(2) for cgroup device programs: load, attach, query, detach, for {@link LinuxSyscalls}. x86_64 and aarch64. */
final class Bpf {
    private Bpf() {}

    private static final long SYS_BPF = switch (System.getProperty("os.arch")) {
        case "amd64", "x86_64" -> 321;
        case "aarch64" -> 280;
        default -> -1;
    };
    private static final int PROG_LOAD = 5, PROG_ATTACH = 8, PROG_DETACH = 9, PROG_GET_FD_BY_ID = 13, PROG_QUERY = 16;
    private static final int PROG_TYPE_CGROUP_DEVICE = 15, ATTACH_CGROUP_DEVICE = 6, F_ALLOW_MULTI = 2;
    private static final long ATTR_SIZE = 144;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle SYSCALL = LINKER.downcallHandle(LINKER.defaultLookup().find("syscall").orElseThrow(),
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG),
            Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno"));

    static boolean supported() { return SYS_BPF > 0; }

    private static int bpf(Arena a, int cmd, MemorySegment attr, String what) {
        MemorySegment st = a.allocate(CAPTURE);
        long r;
        try {
            r = (long) SYSCALL.invokeExact(st, SYS_BPF, (long) cmd, attr, ATTR_SIZE);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        if (r < 0) throw new SyscallException("bpf " + what, (int) ERRNO.get(st, 0L));
        return (int) r;
    }

    /** Loads a cgroup device program; returns its fd. The verifier log is put in the error on failure. */
    static int loadDeviceProgram(byte[] insns) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment attr = a.allocate(ATTR_SIZE, 8);
            MemorySegment code = a.allocate(insns.length, 8);
            code.copyFrom(MemorySegment.ofArray(insns));
            MemorySegment license = a.allocateFrom("Apache");
            attr.set(JAVA_INT, 0, PROG_TYPE_CGROUP_DEVICE);
            attr.set(JAVA_INT, 4, insns.length / 8);
            attr.set(JAVA_LONG, 8, code.address());
            attr.set(JAVA_LONG, 16, license.address());
            byte[] name = "berth_dev".getBytes();
            for (int i = 0; i < name.length; i++) attr.set(JAVA_BYTE, 48 + i, name[i]);
            try {
                return bpf(a, PROG_LOAD, attr, "prog_load");
            } catch (SyscallException e) {
                // again with the verifier log, to say why
                MemorySegment log = a.allocate(65536);
                attr.set(JAVA_INT, 24, 1);
                attr.set(JAVA_INT, 28, (int) log.byteSize());
                attr.set(JAVA_LONG, 32, log.address());
                try {
                    return bpf(a, PROG_LOAD, attr, "prog_load");
                } catch (SyscallException e2) {
                    throw new SyscallException("bpf prog_load (" + log.getString(0).strip() + ")", e2.errno());
                }
            }
        }
    }

    /** Attaches {@code prog} to the cgroup open as {@code cgroupFd} (multi: others stay until detached). */
    static void attachDevice(int cgroupFd, int prog) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment attr = a.allocate(ATTR_SIZE, 8);
            attr.set(JAVA_INT, 0, cgroupFd);
            attr.set(JAVA_INT, 4, prog);
            attr.set(JAVA_INT, 8, ATTACH_CGROUP_DEVICE);
            attr.set(JAVA_INT, 12, F_ALLOW_MULTI);
            bpf(a, PROG_ATTACH, attr, "prog_attach");
        }
    }

    /** Ids of the device programs attached directly to the cgroup. */
    static int[] queryDevice(int cgroupFd) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment attr = a.allocate(ATTR_SIZE, 8);
            MemorySegment ids = a.allocate(JAVA_INT, 64);
            attr.set(JAVA_INT, 0, cgroupFd);
            attr.set(JAVA_INT, 4, ATTACH_CGROUP_DEVICE);
            attr.set(JAVA_LONG, 16, ids.address());
            attr.set(JAVA_INT, 24, 64);
            bpf(a, PROG_QUERY, attr, "prog_query");
            int n = attr.get(JAVA_INT, 24);
            int[] out = new int[n];
            for (int i = 0; i < n; i++) out[i] = ids.getAtIndex(JAVA_INT, i);
            return out;
        }
    }

    /** Detaches the program with this id from the cgroup. */
    static void detachDevice(int cgroupFd, int progId) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment attr = a.allocate(ATTR_SIZE, 8);
            attr.set(JAVA_INT, 0, progId);
            int fd = bpf(a, PROG_GET_FD_BY_ID, attr, "prog_get_fd_by_id");
            try {
                MemorySegment d = a.allocate(ATTR_SIZE, 8);
                d.set(JAVA_INT, 0, cgroupFd);
                d.set(JAVA_INT, 4, fd);
                d.set(JAVA_INT, 8, ATTACH_CGROUP_DEVICE);
                bpf(a, PROG_DETACH, d, "prog_detach");
            } finally {
                Linux.close(fd);
            }
        }
    }
}
