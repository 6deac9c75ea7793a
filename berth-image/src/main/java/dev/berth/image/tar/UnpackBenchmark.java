package dev.berth.image.tar;

import dev.berth.image.store.Store;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code UnpackBenchmark LAYER.tar ROUNDS}: unpack throughput of one layer (safe extraction with
 * all checks, diff ID hashed), printed per round. Used by berth-image/bench/run.sh.
 */
public final class UnpackBenchmark {
    private UnpackBenchmark() {}

    public static void main(String[] a) throws Exception {
        Path tar = Path.of(a[0]);
        int rounds = a.length > 1 ? Integer.parseInt(a[1]) : 3;
        long size = Files.size(tar);
        double best = 0;
        for (int i = 0; i < rounds; i++) {
            Path d = Files.createTempDirectory(tar.toAbsolutePath().getParent(), "unpack");
            long t0 = System.nanoTime();
            try (InputStream in = Files.newInputStream(tar)) { LayerExtractor.extract(in, d, LayerExtractor.Options.DEFAULT); }
            double s = (System.nanoTime() - t0) / 1e9;
            best = Math.max(best, size / 1e6 / s);
            System.out.printf("unpack %.0f MB in %.2f s: %.0f MB/s%n", size / 1e6, s, size / 1e6 / s);
            Store.deleteTree(d);
        }
        System.out.printf("best: %.0f MB/s%n", best);
    }
}
