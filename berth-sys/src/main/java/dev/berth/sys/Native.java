package dev.berth.sys;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * Binding helpers shared by {@link Linux} and the seccomp compiler. Loading this class creates
 * the native linker and nothing else; every function is bound by its caller's holder class on
 * first use.
 */
final class Native {
    static final Linker LINKER = Linker.nativeLinker();
    static final SymbolLookup LIBC = LINKER.defaultLookup();
    static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    private static final VarHandle ERRNO =
            CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    private Native() {
    }

    /** A libc function whose handle takes a capture-state segment as its first argument. */
    static MethodHandle libcErrno(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(symbol(LIBC, name), fd, CAPTURE_ERRNO);
    }

    /** A variadic libc function ({@code open}, {@code fcntl}, {@code syscall}), errno captured. */
    static MethodHandle libcErrnoVariadic(String name, FunctionDescriptor fd, int firstVariadic) {
        return LINKER.downcallHandle(symbol(LIBC, name), fd, CAPTURE_ERRNO,
                Linker.Option.firstVariadicArg(firstVariadic));
    }

    /** A libc function that cannot fail. */
    static MethodHandle libc(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(symbol(LIBC, name), fd);
    }

    static MemorySegment symbol(SymbolLookup lookup, String name) {
        return lookup.find(name).orElseThrow(() -> new UnsatisfiedLinkError("symbol not found: " + name));
    }

    /** The errno saved in a capture-state segment. */
    static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    /** Rethrows what a downcall threw: its own errors as they are, anything else wrapped. */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException("native call failed", t);
    }
}
