package dev.berth.image.api;

import dev.berth.sys.NativeSha256;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** libcrypto's SHA-256 (through FFM) gives the JDK's digests, however the input is split. */
class NativeSha256Test {
    @Test void libcryptoIsUsedHere() {
        // Debian always has libcrypto.so.3 (libssl3); without it Digest.newSha256 falls back to the JDK
        assertThat(NativeSha256.available()).isTrue();
        assertThat(Digest.newSha256()).isInstanceOf(NativeSha256.class);
    }

    @Test void sameDigestsAsTheJdk() throws Exception {
        Random r = new Random(5);
        for (int size : new int[]{0, 1, 55, 56, 63, 64, 65, 1000, 1 << 16, (1 << 20) + 7}) {
            byte[] b = new byte[size];
            r.nextBytes(b);
            byte[] want = MessageDigest.getInstance("SHA-256").digest(b);
            assertThat(NativeSha256.create().digest(b)).as("size %d", size).isEqualTo(want);
            MessageDigest split = NativeSha256.create();
            int off = 0;
            while (off < size) {
                int n = Math.min(size - off, 1 + r.nextInt(5000));
                if (n == 1) split.update(b[off]); else split.update(b, off, n);
                off += n;
            }
            MessageDigest copy = (MessageDigest) split.clone();
            assertThat(split.digest()).as("split %d", size).isEqualTo(want);
            assertThat(copy.digest()).as("clone %d", size).isEqualTo(want);
            MessageDigest direct = NativeSha256.create();
            ByteBuffer bb = ByteBuffer.allocateDirect(size);
            bb.put(b).flip();
            direct.update(bb);
            assertThat(direct.digest()).as("direct buffer %d", size).isEqualTo(want);
        }
        MessageDigest reused = NativeSha256.create();
        reused.update(new byte[]{1, 2, 3});
        reused.digest();
        assertThat(reused.digest("abc".getBytes())).isEqualTo(MessageDigest.getInstance("SHA-256").digest("abc".getBytes()));
    }
}
