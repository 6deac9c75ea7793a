package dev.berth.image.registry;

/** Per-layer progress of a pull or push; the CLI draws a line per id, the API (later) streams JSON. */
public interface Progress {
    /** {@code id}: short digest; {@code status}: Waiting, Downloading, Verifying, Extracting, Pull complete, Already exists, Mounted, Pushed ... */
    void update(String id, String status, long current, long total);

    Progress NONE = (id, status, current, total) -> {};
}
