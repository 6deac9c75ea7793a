package dev.berth.image.store;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.image.api.Descriptor;
import dev.berth.image.api.Digest;
import dev.berth.image.api.ImageReference;
import dev.berth.image.api.Json;
import dev.berth.image.api.Manifest;
import dev.berth.image.api.MediaTypes;
import dev.berth.image.api.Platform;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Writes a new image (config, OCI manifest, name, provenance) on top of a base or from scratch. */
public final class ImageWriter {
    private ImageWriter() {}

    /** Docker layer media types in OCI terms, so a manifest never mixes the two. */
    public static Descriptor toOci(Descriptor l) {
        String mt = switch (l.mediaType()) {
            case MediaTypes.DOCKER_LAYER -> MediaTypes.OCI_LAYER_GZIP;
            case "application/vnd.docker.image.rootfs.diff.tar" -> MediaTypes.OCI_LAYER;
            case MediaTypes.DOCKER_FOREIGN_LAYER -> MediaTypes.OCI_LAYER_ND_GZIP;
            default -> l.mediaType();
        };
        return new Descriptor(mt, l.digest(), l.size(), l.annotations(), null, l.urls());
    }

    /**
     * @param base base config (copied) or null for a new image of {@code platform}
     * @param baseLayers layers of the base manifest
     * @param baseProvenance provenance of the base's layers (may be empty)
     */
    public static Descriptor write(Store store, ObjectNode base, List<Descriptor> baseLayers, List<Provenance.Layer> baseProvenance,
                                   List<LayerBlobs.Layer> added, List<Provenance.Layer> addedProvenance,
                                   String createdBy, Platform platform, ImageReference name) {
        return write(store, base, baseLayers, baseProvenance, added, addedProvenance, createdBy, null, platform, name);
    }

    /** As above, with a history {@code comment} on each added layer (null: none). */
    public static Descriptor write(Store store, ObjectNode base, List<Descriptor> baseLayers, List<Provenance.Layer> baseProvenance,
                                   List<LayerBlobs.Layer> added, List<Provenance.Layer> addedProvenance,
                                   String createdBy, String comment, Platform platform, ImageReference name) {
        String now = Instant.now().toString();
        ObjectNode cfg = base != null ? base.deepCopy() : Json.MAPPER.createObjectNode();
        if (base == null) {
            cfg.put("architecture", platform.architecture());
            cfg.put("os", platform.os());
            if (platform.variant() != null) cfg.put("variant", platform.variant());
            cfg.putObject("config").putArray("Env").add("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
            cfg.putObject("rootfs").put("type", "layers").putArray("diff_ids");
        }
        cfg.put("created", now);
        ArrayNode ids = ((ObjectNode) cfg.with("rootfs")).withArray("diff_ids");
        ((ObjectNode) cfg.get("rootfs")).put("type", "layers");
        ArrayNode history = cfg.withArray("history");
        for (LayerBlobs.Layer l : added) {
            ids.add(l.diffId().toString());
            ObjectNode h = history.addObject();
            h.put("created", now);
            h.put("created_by", createdBy);
            if (comment != null && !comment.isEmpty()) h.put("comment", comment);
        }
        byte[] cfgBytes = Json.write(cfg);
        Digest cfgDigest = store.putBlob(cfgBytes);
        List<Descriptor> layers = new ArrayList<>();
        for (Descriptor l : baseLayers) layers.add(toOci(l));
        for (LayerBlobs.Layer l : added) layers.add(l.descriptor());
        Manifest m = new Manifest(2, MediaTypes.OCI_MANIFEST, Descriptor.of(MediaTypes.OCI_CONFIG, cfgDigest, cfgBytes.length), layers, null);
        byte[] mBytes = Json.write(m);
        Digest md = store.putBlob(mBytes);
        Descriptor desc = Descriptor.of(MediaTypes.OCI_MANIFEST, md, mBytes.length);
        List<Provenance.Layer> prov = new ArrayList<>(baseProvenance);
        prov.addAll(addedProvenance);
        store.writeProvenance(md, new Provenance(name != null ? name.toString() : null, md.toString(), prov));
        if (name != null) store.tag(name, desc); else store.addUntagged(desc);
        return desc;
    }
}
