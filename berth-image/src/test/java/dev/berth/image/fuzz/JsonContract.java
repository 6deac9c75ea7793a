package dev.berth.image.fuzz;

import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.Json;
import java.io.IOException;

/** What the manifest and index targets check beyond {@link Json#read}'s typed errors. */
final class JsonContract {
    private JsonContract() {}

    /**
     * Json.read turns any failure into BadManifest, including an NPE in a record's constructor,
     * with a "not valid JSON" message that hides it: the constructors themselves must refuse bad
     * values with an ImageException naming them.
     */
    static void constructorsThrowOnlyImageExceptions(byte[] json, Class<?> type) {
        try {
            Json.MAPPER.readValue(json, type);
        } catch (IOException e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof ValueInstantiationException v && v.getCause() != null && !(v.getCause() instanceof ImageException))
                    throw new AssertionError("constructing " + v.getType() + " threw " + v.getCause(), v.getCause());
            }
        }
    }
}
