package dev.berth.image.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.berth.image.api.Descriptor;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.Json;
import dev.berth.image.api.Manifest;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the image manifest parser ({@link Json#read} into {@link Manifest}, as pull, load and the
 * store read manifests) with raw bytes. The contract: a manifest is returned whose descriptors hold
 * valid digests, or an {@link ImageException} names what is wrong (never an NPE,
 * ClassCastException, StackOverflowError or OutOfMemoryError, nor a "not valid JSON" error that hides
 * an exception of a record constructor), in bounded time; what is returned
 * writes back to JSON that reads as the same manifest.
 */
@Tag("fuzz-manifest")
class ManifestFuzzTest {
    @FuzzTest
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void manifest(byte[] json) {
        Manifest m;
        try {
            m = Json.read(json, Manifest.class, "manifest");
        } catch (ImageException e) {
            assertThat(e.getMessage()).isNotBlank();
            JsonContract.constructorsThrowOnlyImageExceptions(json, Manifest.class);
            return;
        }
        assertThat(m.schemaVersion()).isEqualTo(2);
        m.config().digestValue();
        for (Descriptor l : m.layers()) {
            assertThat(l.size()).isNotNegative();
            l.digestValue();
            l.annotation("org.opencontainers.image.title");
        }
        assertThat(Json.read(Json.write(m), Manifest.class, "manifest")).isEqualTo(m);
    }
}
