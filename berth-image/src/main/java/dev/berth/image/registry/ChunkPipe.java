package dev.berth.image.registry;

import dev.berth.image.api.ImageException;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Hands the bytes of a download to an extractor running beside it (pull unpacks while it
 * downloads). Bounded (32 chunks of {@link BlobPuller#CHUNK} bytes: 8 MiB a layer); if the
 * extractor stops early (bad archive) the downloader's next write fails with the extractor's error.
 */
final class ChunkPipe {
    private static final byte[] EOF = new byte[0];
    private final BlockingQueue<byte[]> queue = new ArrayBlockingQueue<>(32);
    private volatile boolean readerGone;
    private volatile RuntimeException readerError;
    private volatile boolean restarted;

    /** Hands over {@code b} (not copied: the caller must not reuse it). */
    void give(byte[] b, int len) {
        offer(len == b.length ? b : java.util.Arrays.copyOf(b, len));
    }

    /** Called by the downloader for each chunk written to the store. */
    void write(byte[] b, int off, int len) {
        byte[] copy = java.util.Arrays.copyOfRange(b, off, off + len);
        offer(copy);
    }

    private void offer(byte[] chunk) {
        try {
            while (!readerGone) {
                if (queue.offer(chunk, 100, TimeUnit.MILLISECONDS)) return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ImageException.Registry(0, "interrupted", e);
        }
        // reader gone (bad archive): keep downloading so the digest check can say whether the
        // bytes or the archive are at fault; the puller reports the extractor's error after.
    }

    /** The download started over from byte 0: the streamed extraction is void. */
    void restarted() { restarted = true; readerGone = true; }
    boolean wasRestarted() { return restarted; }

    void close() { offer(EOF); }

    /** The download failed for good: the extractor's next read fails. */
    void writerFailed() { writerGone = true; queue.clear(); }
    private volatile boolean writerGone;

    void readerFailed(RuntimeException e) { readerError = e; readerGone = true; queue.clear(); }

    InputStream input() {
        return new InputStream() {
            private byte[] cur = new byte[0];
            private int pos;
            private boolean eof;

            private boolean fill() throws IOException {
                while (!eof && pos >= cur.length) {
                    if (restarted) throw new IOException("download restarted");
                    if (writerGone && queue.isEmpty()) throw new IOException("download failed");
                    try {
                        byte[] next = queue.poll(100, TimeUnit.MILLISECONDS);
                        if (next == null) continue;
                        if (next == EOF) { eof = true; break; }
                        cur = next;
                        pos = 0;
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new java.io.InterruptedIOException("interrupted");
                    }
                }
                return pos < cur.length;
            }

            @Override public int read() throws IOException {
                return fill() ? cur[pos++] & 0xff : -1;
            }

            @Override public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) return 0;
                if (!fill()) return -1;
                int n = Math.min(len, cur.length - pos);
                System.arraycopy(cur, pos, b, off, n);
                pos += n;
                return n;
            }

            @Override public void close() { readerGone = true; queue.clear(); }
        };
    }
}
