package dev.berth.sys.nft;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;

/**
 * libnftables through FFM: one {@code struct nft_ctx} with buffered output and error, running
 * command buffers in nft's own syntax (what {@code nft -f} reads) as one netlink transaction each,
 * so a batch is applied whole or not at all. {@link #list} reads back in nft's JSON schema
 * ({@code nft -j}). No {@code nft} process is ever started.
 *
 * <p>The context talks to the network namespace of the thread that first runs a command (the
 * netlink socket is opened then). Not thread-safe: callers serialise (one context per owner).
 */
public final class Nftables implements AutoCloseable {
    static final String LIB_PATH = "/usr/lib/x86_64-linux-gnu/libnftables.so.1";
    /** NFT_CTX_OUTPUT_JSON in nftables/libnftables.h. */
    static final int OUTPUT_JSON = 1 << 4;
    /** NFT_CTX_OUTPUT_HANDLE. */
    static final int OUTPUT_HANDLE = 1 << 3;

    private MemorySegment ctx;

    /** Opens a context. @throws IllegalStateException naming the library when it cannot be loaded. */
    public Nftables() {
        Lib lib = lib();
        try {
            MemorySegment c = (MemorySegment) lib.ctxNew.invokeExact(0);
            if (c.equals(MemorySegment.NULL)) {
                throw new IllegalStateException("nft_ctx_new failed");
            }
            int r1 = (int) lib.bufferOutput.invokeExact(c);
            int r2 = (int) lib.bufferError.invokeExact(c);
            if (r1 != 0 || r2 != 0) {
                lib.ctxFree.invokeExact(c);
                throw new IllegalStateException("nft_ctx_buffer_output/error failed");
            }
            ctx = c;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Whether libnftables could be loaded; if not, {@link #unavailableReason()} says why. */
    public static boolean available() {
        return Lib.ERROR == null;
    }

    /** Why libnftables is not available, or null. */
    public static String unavailableReason() {
        return Lib.ERROR;
    }

    /**
     * Runs {@code commands} (nft syntax, several lines) as one transaction and returns nft's
     * output (empty for most commands).
     *
     * @throws NftException with nft's error text; nothing of the buffer was applied
     */
    public synchronized String run(String commands) {
        return run(commands, 0);
    }

    /**
     * Runs a listing command ({@code list table inet berth}) with JSON output and returns the JSON
     * text (nft's schema: {@code {"nftables":[{"metainfo":…},{"table":…},{"chain":…},…]}}).
     */
    public synchronized String list(String command) {
        return run(command, OUTPUT_JSON | OUTPUT_HANDLE);
    }

    private String run(String commands, int flags) {
        if (ctx == null) {
            throw new IllegalStateException("nftables context closed");
        }
        Lib lib = lib();
        try (Arena arena = Arena.ofConfined()) {
            lib.setOutputFlags.invokeExact(ctx, flags);
            MemorySegment buf = arena.allocateFrom(commands, StandardCharsets.UTF_8);
            int rc = (int) lib.runCmd.invokeExact(ctx, buf);
            String out = string((MemorySegment) lib.getOutput.invokeExact(ctx));
            String err = string((MemorySegment) lib.getError.invokeExact(ctx));
            lib.setOutputFlags.invokeExact(ctx, 0);
            if (rc != 0) {
                throw new NftException(err, commands);
            }
            return out;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static String string(MemorySegment p) {
        if (p.equals(MemorySegment.NULL)) {
            return "";
        }
        return p.reinterpret(Long.MAX_VALUE).getString(0, StandardCharsets.UTF_8);
    }

    @Override
    public synchronized void close() {
        if (ctx != null) {
            try {
                lib().ctxFree.invokeExact(ctx);
            } catch (Throwable t) {
                throw rethrow(t);
            } finally {
                ctx = null;
            }
        }
    }

    private static Lib lib() {
        if (Lib.INSTANCE == null) {
            throw new IllegalStateException(Lib.ERROR);
        }
        return Lib.INSTANCE;
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException("libnftables call failed", t);
    }

    private static final class Lib {
        static final Lib INSTANCE;
        static final String ERROR;

        static {
            Lib lib = null;
            String error = null;
            try {
                lib = new Lib(load());
            } catch (Throwable t) {
                error = "libnftables is not available (" + LIB_PATH + " or libnftables.so.1; "
                        + "apt-get install libnftables1): " + t.getMessage();
            }
            INSTANCE = lib;
            ERROR = error;
        }

        final MethodHandle ctxNew;
        final MethodHandle ctxFree;
        final MethodHandle bufferOutput;
        final MethodHandle bufferError;
        final MethodHandle getOutput;
        final MethodHandle getError;
        final MethodHandle runCmd;
        final MethodHandle setOutputFlags;

        private Lib(SymbolLookup l) {
            ctxNew = bind(l, "nft_ctx_new", FunctionDescriptor.of(ADDRESS, JAVA_INT));
            ctxFree = bind(l, "nft_ctx_free", FunctionDescriptor.ofVoid(ADDRESS));
            bufferOutput = bind(l, "nft_ctx_buffer_output", FunctionDescriptor.of(JAVA_INT, ADDRESS));
            bufferError = bind(l, "nft_ctx_buffer_error", FunctionDescriptor.of(JAVA_INT, ADDRESS));
            getOutput = bind(l, "nft_ctx_get_output_buffer", FunctionDescriptor.of(ADDRESS, ADDRESS));
            getError = bind(l, "nft_ctx_get_error_buffer", FunctionDescriptor.of(ADDRESS, ADDRESS));
            runCmd = bind(l, "nft_run_cmd_from_buffer", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
            setOutputFlags = bind(l, "nft_ctx_output_set_flags", FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT));
        }

        private static SymbolLookup load() {
            Arena global = Arena.global();
            try {
                return SymbolLookup.libraryLookup(java.nio.file.Path.of(LIB_PATH), global);
            } catch (IllegalArgumentException e) {
                return SymbolLookup.libraryLookup("libnftables.so.1", global);
            }
        }

        private static MethodHandle bind(SymbolLookup l, String name, FunctionDescriptor fd) {
            MemorySegment sym = l.find(name).orElseThrow(() -> new UnsatisfiedLinkError("symbol not found: " + name));
            return Linker.nativeLinker().downcallHandle(sym, fd);
        }
    }
}
