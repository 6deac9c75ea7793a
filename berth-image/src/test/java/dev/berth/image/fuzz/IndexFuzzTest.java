package dev.berth.image.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.berth.image.api.Descriptor;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.Index;
import dev.berth.image.api.Json;
import dev.berth.image.api.Platform;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the image index / manifest list parser ({@link Json#read} into {@link Index}, as pull, load
 * and the store's index.json read them) and platform selection with raw bytes. The contract: an
 * index is returned whose descriptors hold valid digests and from which a platform is selected or
 * reported missing ({@link ImageException.NotFound}), or an {@link ImageException} names what is
 * wrong (never an NPE, ClassCastException, StackOverflowError or OutOfMemoryError, nor a "not valid
 * JSON" error that hides an exception of a record constructor), in bounded
 * time; what is returned writes back to JSON that reads as the same index.
 */
@Tag("fuzz-index")
class IndexFuzzTest {
    static final List<Platform> PLATFORMS = List.of(Platform.DEFAULT, Platform.parse("linux/arm64"),
            Platform.parse("linux/arm64/v8"), Platform.parse("linux/arm/v7"));

    @FuzzTest
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void index(byte[] json) {
        Index idx;
        try {
            idx = Json.read(json, Index.class, "index");
        } catch (ImageException e) {
            assertThat(e.getMessage()).isNotBlank();
            JsonContract.constructorsThrowOnlyImageExceptions(json, Index.class);
            return;
        }
        assertThat(idx.schemaVersion()).isEqualTo(2);
        for (Descriptor d : idx.manifests()) {
            d.digestValue();
            d.annotation("org.opencontainers.image.ref.name");
        }
        for (Platform p : PLATFORMS) {
            try {
                assertThat(idx.manifests()).contains(idx.select(p));
            } catch (ImageException.NotFound e) {
                assertThat(e.getMessage()).contains(p.toString());
            }
        }
        assertThat(Json.read(Json.write(idx), Index.class, "index")).isEqualTo(idx);
    }
}
