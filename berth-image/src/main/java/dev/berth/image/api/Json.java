package dev.berth.image.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;

/** The one ObjectMapper; parse errors become BadManifest naming what was parsed. */
public final class Json {
    private Json() {}
    public static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    public static <T> T read(byte[] bytes, Class<T> type, String what) {
        try {
            T v = MAPPER.readValue(bytes, type);
            if (v == null) throw new ImageException.BadManifest(what + " is null, not a JSON object");
            return v;
        } catch (ImageException e) {
            throw e;
        } catch (IOException e) {
            Throwable c = e.getCause();
            if (c instanceof ImageException ie) throw new ImageException.BadManifest(what + ": " + ie.getMessage());
            throw new ImageException.BadManifest(what + " is not valid JSON: " + firstLine(e.getMessage()));
        }
    }

    public static byte[] write(Object o) {
        try { return MAPPER.writeValueAsBytes(o); }
        catch (JsonProcessingException e) { throw new IllegalStateException(e); }
    }

    public static String pretty(Object o) {
        try { return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(o); }
        catch (JsonProcessingException e) { throw new IllegalStateException(e); }
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int i = s.indexOf('\n');
        return i < 0 ? s : s.substring(0, i);
    }
}
