package dev.berth.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.security.MessageDigest;

/**
 * SHA-256 by the system's libcrypto (OpenSSL: SHA-NI/AVX2 code, ~1.5 GB/s here) through FFM, as a
 * {@link MessageDigest}, so that hashing does not depend on the JIT: the JDK's own SHA-256 is fast
 * only once C2 has compiled it (its SHA intrinsic), ~100 MB/s before or under C1, and compiling it
 * costs CPU a short {@code bin/berth pull} feels. The context and the data stay on the Java heap
 * (critical downcalls with heap access): no native memory to free, no copies.
 * {@link #create} returns null when libcrypto is missing (the caller takes the JDK's then);
 * {@code -Dberth.jdkSha256=true} forces that.
 */
public final class NativeSha256 extends MessageDigest implements Cloneable {
    private static final MethodHandle INIT, UPDATE, FINAL;
    static {
        MethodHandle i = null, u = null, f = null;
        try {
            Linker linker = Linker.nativeLinker();
            SymbolLookup crypto = lookup();
            if (crypto != null) {
                Linker.Option heap = Linker.Option.critical(true);
                // one descriptor for the three (the JDK links once per descriptor): Init and
                // Final get unused trailing arguments, which the callee never reads
                FunctionDescriptor fd = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG);
                i = linker.downcallHandle(crypto.find("SHA256_Init").orElseThrow(), fd, heap);
                u = linker.downcallHandle(crypto.find("SHA256_Update").orElseThrow(), fd, heap);
                f = linker.downcallHandle(crypto.find("SHA256_Final").orElseThrow(), fd, heap);
            }
        } catch (RuntimeException | Error e) {
            i = u = f = null;   // no libcrypto, or no native access: the JDK's SHA-256
        }
        INIT = i; UPDATE = u; FINAL = f;
    }

    private static SymbolLookup lookup() {
        if (Boolean.getBoolean("berth.jdkSha256")) return null;
        for (String lib : new String[]{"libcrypto.so.3", "libcrypto.so"}) {
            try { return SymbolLookup.libraryLookup(lib, Arena.global()); }
            catch (IllegalArgumentException notThere) { /* next */ }
        }
        return null;
    }

    public static boolean available() { return INIT != null; }

    /** A SHA-256 digest: libcrypto's when available, else the JDK's. */
    public static MessageDigest create() { return available() ? new NativeSha256() : null; }

    // SHA256_CTX is 112 bytes of plain integers (no pointers): it may move with the array between calls.
    private long[] ctx = new long[16];

    private NativeSha256() {
        super("SHA-256");
        engineReset();
    }

    private static RuntimeException fail(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }

    @Override protected void engineUpdate(byte input) {
        engineUpdate(new byte[]{input}, 0, 1);
    }

    @Override protected void engineUpdate(byte[] input, int offset, int len) {
        if (len == 0) return;
        java.util.Objects.checkFromIndexSize(offset, len, input.length);
        try {
            int rc = (int) UPDATE.invokeExact(MemorySegment.ofArray(ctx), MemorySegment.ofArray(input).asSlice(offset, len), (long) len);
            if (rc != 1) throw new IllegalStateException("SHA256_Update failed");
        } catch (Throwable t) { throw fail(t); }
    }

    @Override protected void engineUpdate(java.nio.ByteBuffer input) {
        if (input.hasArray()) {
            int n = input.remaining();
            engineUpdate(input.array(), input.arrayOffset() + input.position(), n);
            input.position(input.position() + n);
            return;
        }
        byte[] tmp = new byte[Math.min(input.remaining(), 1 << 16)];
        while (input.hasRemaining()) {
            int n = Math.min(tmp.length, input.remaining());
            input.get(tmp, 0, n);
            engineUpdate(tmp, 0, n);
        }
    }

    @Override protected byte[] engineDigest() {
        byte[] md = new byte[32];
        try {
            int rc = (int) FINAL.invokeExact(MemorySegment.ofArray(md), MemorySegment.ofArray(ctx), 0L);
            if (rc != 1) throw new IllegalStateException("SHA256_Final failed");
        } catch (Throwable t) { throw fail(t); }
        engineReset();
        return md;
    }

    @Override protected int engineGetDigestLength() { return 32; }

    @Override protected void engineReset() {
        try {
            int rc = (int) INIT.invokeExact(MemorySegment.ofArray(ctx), MemorySegment.NULL, 0L);
            if (rc != 1) throw new IllegalStateException("SHA256_Init failed");
        } catch (Throwable t) { throw fail(t); }
    }

    @Override public Object clone() throws CloneNotSupportedException {
        NativeSha256 c = (NativeSha256) super.clone();
        c.ctx = ctx.clone();
        return c;
    }
}
