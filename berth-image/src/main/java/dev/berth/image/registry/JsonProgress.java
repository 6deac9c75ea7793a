package dev.berth.image.registry;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.image.api.Digest;
import dev.berth.image.api.ImageReference;
import dev.berth.image.api.Json;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Pull and push progress as the Docker Engine API streams it ({@code POST /images/create},
 * {@code POST /images/NAME/push}): one JSON object per line, as dockerd writes them and docker
 * clients read them ({@code status}, {@code id}, {@code progressDetail} {current, total},
 * {@code progress}, {@code aux}, {@code error}/{@code errorDetail}).
 *
 * <p>Per layer (id = the first 12 hex digits of its digest): pull: {@code Pulling fs layer},
 * {@code Downloading} (with progress), {@code Verifying Checksum}, {@code Download complete},
 * {@code Extracting}, {@code Pull complete} or {@code Already exists}; push: {@code Preparing},
 * {@code Pushing} (with progress), {@code Pushed}, {@code Layer already exists} or
 * {@code Mounted from REPO}. Byte progress is sent at most every 512 KiB per layer, and at the
 * end. The frame lines ({@code Pulling from}, {@code Digest:}, {@code Status:}, {@code The push
 * refers to repository}, the digest line and its {@code aux}) come from the calls below, made by
 * whoever runs the pull or push. Thread-safe: layers report from several threads.
 */
public final class JsonProgress implements Progress {
    static final long EVERY = 512 << 10;

    private final Consumer<String> sink;
    private final Map<String, String> last = new HashMap<>();
    private final Map<String, Long> sent = new HashMap<>();

    private JsonProgress(Consumer<String> sink) { this.sink = sink; }

    /** Messages go to {@code lines}, one JSON document per call, without a newline. */
    public static JsonProgress to(Consumer<String> lines) { return new JsonProgress(lines); }

    private synchronized void emit(ObjectNode o) { sink.accept(o.toString()); }

    private static ObjectNode msg(String status, String id) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("status", status);
        if (id != null) o.put("id", id);
        return o;
    }

    private static ObjectNode layer(String status, String id) {
        ObjectNode o = msg(status, id);
        o.putObject("progressDetail");
        return o;
    }

    private static ObjectNode bytes(String status, String id, long current, long total) {
        ObjectNode o = msg(status, id);
        ObjectNode d = o.putObject("progressDetail");
        d.put("current", current);
        if (total > 0) d.put("total", total);
        o.put("progress", bar(current, total));
        return o;
    }

    @Override public synchronized void update(String id, String status, long current, long total) {
        String prev = last.put(id, status);
        switch (status) {
            case "Waiting" -> { if (prev == null) emit(layer("Pulling fs layer", id)); }
            case "Downloading", "Pushing" -> {
                if (status.equals("Pushing") && !"Pushing".equals(prev)) sent.remove(id);
                Long s = sent.get(id);
                if (s == null || current - s >= EVERY || (total > 0 && current >= total && s < total)) {
                    sent.put(id, current);
                    emit(bytes(status, id, current, total));
                }
            }
            case "Extracting" -> {
                if ("Downloading".equals(prev) || "Waiting".equals(prev)) {
                    emit(layer("Verifying Checksum", id));
                    emit(layer("Download complete", id));
                }
                if (!"Extracting".equals(prev)) emit(bytes("Extracting", id, total, total));
            }
            default -> {
                if (status.equals(prev)) return;
                if (status.startsWith("Warning")) emit(msg(status, null));
                else emit(layer(status, id));
            }
        }
    }

    // ---- frame of a pull -----------------------------------------------------------------

    /** {"status":"Pulling from library/busybox","id":"latest"} */
    public void pullStarted(ImageReference ref) { emit(msg("Pulling from " + ref.repository(), ref.reference())); }

    /** {"status":"Digest: sha256:..."} then {"status":"Status: Downloaded newer image for busybox:latest"} (or "Image is up to date for"). */
    public void pulled(ImageReference ref, Digest manifest, boolean newer) {
        emit(msg("Digest: " + manifest, null));
        emit(msg("Status: " + (newer ? "Downloaded newer image for " : "Image is up to date for ") + ref.familiar(), null));
    }

    // ---- frame of a push -----------------------------------------------------------------

    /** {"status":"The push refers to repository [docker.io/library/busybox]"} */
    public void pushStarted(ImageReference target) { emit(msg("The push refers to repository [" + target.name() + "]", null)); }

    /** {"status":"latest: digest: sha256:... size: 527"} then {"progressDetail":{},"aux":{"Tag":"latest","Digest":"sha256:...","Size":527}} */
    public void pushed(ImageReference target, Digest manifest, long size) {
        String tag = target.reference();
        emit(msg(tag + ": digest: " + manifest + " size: " + size, null));
        ObjectNode aux = Json.MAPPER.createObjectNode();
        aux.putObject("progressDetail");
        aux.putObject("aux").put("Tag", tag).put("Digest", manifest.toString()).put("Size", size);
        emit(aux);
    }

    /** {"errorDetail":{"message":"..."},"error":"..."}: how the API ends a stream that failed. */
    public void error(String message) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.putObject("errorDetail").put("message", message);
        o.put("error", message);
        emit(o);
    }

    /** Docker's progress text: a 50-column bar and human sizes, e.g. {@code [==>      ]  1.049MB/3.146MB}. */
    static String bar(long current, long total) {
        if (total <= 0) return human(current);
        int width = 50;
        int done = (int) Math.min(width, width * current / total);
        return "[" + "=".repeat(done) + ">" + " ".repeat(width - done) + "] " + String.format("%8s/%s", human(current), human(total));
    }

    /** Decimal units with 4 significant digits, as docker's units.HumanSize. */
    static String human(long bytes) {
        String[] units = {"B", "kB", "MB", "GB", "TB", "PB"};
        double v = bytes;
        int u = 0;
        while (v >= 1000 && u < units.length - 1) { v /= 1000; u++; }
        return new BigDecimal(v).round(new MathContext(4)).stripTrailingZeros().toPlainString() + units[u];
    }
}
