package dev.berth.image.pedigree;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.image.api.Descriptor;
import dev.berth.image.api.Digest;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.ImageReference;
import dev.berth.image.api.Manifest;
import dev.berth.image.api.MediaTypes;
import dev.berth.image.snapshot.SnapshotStore;
import dev.berth.image.snapshot.Snapshotter;
import dev.berth.image.store.Provenance;
import dev.berth.image.store.Store;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The images of a store as a family: image B descends from image A when A's layer chain (its
 * diff IDs, bottom first) is a proper prefix of B's, i.e. B = A + n layers (after the image
 * pedigree study, USENIX ATC'17). The test is one comparison: the chain ID of B's layer |A| is
 * A's top chain ID, and a chain ID digests the whole prefix below it. Images with the very same
 * chain (another config on the same layers) are neither ancestor nor descendant: they are "same
 * layers". An image without layers is nobody's ancestor. Containers (bundles and berthd's, every
 * {@code containers/ID/image.json} of the store) are matched the same way by the chain IDs they
 * recorded, so a container still counts after its image was removed or retagged.
 *
 * <p>A snapshot of the store when {@link #of} ran: images are read once (manifest and config of
 * each index.json entry that is an image manifest; entries whose blobs cannot be read are left
 * out).
 */
public final class Pedigree {
    /** One image: config digest (the image ID), manifest digest, names, created, chain IDs (bottom first). */
    public record Image(String id, String manifest, List<String> names, String created, List<String> chain) {
        public Image { names = List.copyOf(names); chain = List.copyOf(chain); }
        @com.fasterxml.jackson.annotation.JsonProperty("layers") public int layers() { return chain.size(); }
        /** The first name (familiar form), else the short image ID. */
        @JsonIgnore public String display() { return names.isEmpty() ? id.substring(7, 19) : names.getFirst(); }
        @JsonIgnore String top() { return chain.isEmpty() ? null : chain.getLast(); }
        /** Whether this image's layers are a proper prefix of {@code other}'s (this is an ancestor of other). */
        boolean isAncestorOf(Image other) { return hasPrefix(other.chain, this) && other.layers() > layers(); }
    }

    /** Whether {@code chain} begins with all of {@code base}'s layers (base has at least one). */
    static boolean hasPrefix(List<String> chain, Image base) {
        return base.layers() > 0 && chain.size() >= base.layers() && chain.get(base.layers() - 1).equals(base.top());
    }

    /** A relative of an image and the layers between them (always positive: the higher one adds them). */
    public record Relative(Image image, int addedLayers) {}

    /** {@code berth pedigree IMAGE}: ancestors nearest first, descendants nearest first, same-layer images. */
    public record Family(Image image, List<Relative> ancestors, List<Relative> descendants, List<Image> sameLayers) {}

    /** One node of {@code berth images --tree}: the image, the layers it adds to its parent (0: same layers as the parent), its children. */
    public record Tree(Image image, int addedLayers, List<Tree> children) {}

    /**
     * A container of the store built on an image: its ID (a bundle's name, berthd's container ID),
     * the image as the container recorded it, its manifest, its layer count, its labels, the image
     * in the store it was made from (null: that manifest is no longer an image of the store), and
     * the processes running in it (empty: stopped or never started).
     */
    public record ContainerUse(String id, String image, String manifest, int layers, Map<String, String> labels,
                               Image from, List<Long> pids) {
        public ContainerUse { labels = Map.copyOf(labels); pids = List.copyOf(pids); }
        @com.fasterxml.jackson.annotation.JsonProperty("running") public boolean running() { return !pids.isEmpty(); }
    }

    /** {@code berth pedigree --affected BASE}: every image built on BASE (same layers included, as +0) and every container using BASE's layers. */
    public record Affected(Image base, List<Relative> images, List<ContainerUse> containers) {}

    private final Store store;
    private final Snapshotter snapshotter;
    private final List<Image> images;

    private Pedigree(Store store, Snapshotter snapshotter, List<Image> images) {
        this.store = store;
        this.snapshotter = snapshotter;
        this.images = images;
    }

    /** Reads every image of the store (sorted: oldest first, then by name and manifest digest). */
    public static Pedigree of(Store store, Snapshotter snapshotter) {
        Map<String, Image> byManifest = new LinkedHashMap<>();
        for (Descriptor d : store.readIndex().manifests()) {
            if (byManifest.containsKey(d.digest()) || !MediaTypes.isManifest(d.mediaType())) continue;
            try {
                Manifest m = store.manifest(d);
                ObjectNode cfg = store.config(m);
                List<String> chain = SnapshotStore.chainIds(Store.diffIds(cfg)).stream().map(Digest::toString).toList();
                List<String> names = store.namesOf(d.digestValue()).stream().map(ImageReference::familiar).sorted().toList();
                byManifest.put(d.digest(), new Image(m.config().digest(), d.digest(), names, cfg.path("created").asText(""), chain));
            } catch (ImageException e) {
                // an entry whose manifest or config is missing or corrupt is no image here (verify reports it)
            }
        }
        List<Image> all = new ArrayList<>(byManifest.values());
        all.sort(ORDER);
        return new Pedigree(store, snapshotter, List.copyOf(all));
    }

    private static final Comparator<Image> ORDER = Comparator.comparing(Image::created)
            .thenComparing(i -> i.names().isEmpty() ? "\uffff" : i.names().getFirst())
            .thenComparing(Image::manifest);

    public List<Image> images() { return images; }

    /** The image {@code ref} names (a name, an ID or digest, as everywhere): {@link ImageException.NotFound} names it when unknown. */
    public Image image(String ref) {
        String manifest = store.resolve(ref).digest();
        for (Image i : images) if (i.manifest().equals(manifest)) return i;
        throw new ImageException.NotFound("no such image: " + ref + " (its manifest or config cannot be read)");
    }

    public Family family(String ref) {
        Image me = image(ref);
        List<Relative> up = new ArrayList<>(), down = new ArrayList<>();
        List<Image> same = new ArrayList<>();
        for (Image o : images) {
            if (o == me) continue;
            if (o.isAncestorOf(me)) up.add(new Relative(o, me.layers() - o.layers()));
            else if (me.isAncestorOf(o)) down.add(new Relative(o, o.layers() - me.layers()));
            else if (me.layers() > 0 && o.chain().equals(me.chain())) same.add(o);
        }
        up.sort(Comparator.comparingInt(Relative::addedLayers).thenComparing(Relative::image, ORDER));
        down.sort(Comparator.comparingInt(Relative::addedLayers).thenComparing(Relative::image, ORDER));
        return new Family(me, up, down, same);
    }

    /**
     * The images as a forest: each image under its nearest ancestor (the longest proper prefix of
     * its chain; of several images with that chain, the first in store order), and an image with
     * the same layers as an earlier one under that one with 0 added layers. Roots: images with no
     * ancestor in the store.
     */
    public List<Tree> tree() {
        Map<Image, List<Image>> children = new LinkedHashMap<>();
        List<Image> roots = new ArrayList<>();
        for (Image i : images) {
            Image p = representative(i);
            if (p == i) {
                p = null;
                for (Image o : images)   // of representatives only: ties cannot happen (same length and prefix = same chain)
                    if (representative(o) == o && o.isAncestorOf(i) && (p == null || o.layers() > p.layers())) p = o;
            }
            if (p == null) roots.add(i);
            else children.computeIfAbsent(p, k -> new ArrayList<>()).add(i);
        }
        List<Tree> out = new ArrayList<>();
        for (Image r : roots) out.add(build(r, 0, children));
        return out;
    }

    /** The first image in store order with exactly {@code i}'s chain (itself when it is the first or has no layers). */
    private Image representative(Image i) {
        if (i.layers() == 0) return i;
        for (Image o : images) if (o.chain().equals(i.chain())) return o;
        return i;
    }

    private static Tree build(Image i, int added, Map<Image, List<Image>> children) {
        // depth bounded by the layer count: each level adds a layer (a same-layer image is a leaf)
        List<Tree> kids = new ArrayList<>();
        for (Image c : children.getOrDefault(i, List.of())) kids.add(build(c, c.layers() - i.layers(), children));
        kids.sort(Comparator.comparingInt(Tree::addedLayers).thenComparing(Tree::image, ORDER));
        return new Tree(i, added, kids);
    }

    /** Every image built on {@code ref} (descendants and same-layer images) and every container whose layers start with its layers. */
    public Affected affected(String ref) {
        Family f = family(ref);
        Image base = f.image();
        List<Relative> built = new ArrayList<>();
        for (Image s : f.sameLayers()) built.add(new Relative(s, 0));
        built.addAll(f.descendants());
        Set<String> known = new HashSet<>();
        List<ContainerUse> uses = new ArrayList<>();
        for (Snapshotter.ContainerInfo ci : snapshotter.list()) {
            if (!known.add(ci.id())) continue;
            boolean onBase = base.layers() > 0 ? hasPrefix(ci.chain(), base) : ci.manifest().equals(base.manifest());
            if (!onBase) continue;
            Image from = null;
            for (Image i : images) if (i.manifest().equals(ci.manifest())) { from = i; break; }
            List<Long> pids;
            try { pids = snapshotter.processesIn(ci.id()); } catch (ImageException e) { continue; }   // removed meanwhile
            uses.add(new ContainerUse(ci.id(), ci.image(), ci.manifest(), ci.chain().size(), ci.labels(), from, pids));
        }
        uses.sort(Comparator.comparing(ContainerUse::id));
        return new Affected(base, built, uses);
    }

    /**
     * One layer of an image, bottom first, with where it came from: the provenance the store
     * recorded for this image's layer (pull: registry, repository; import, load, commit: the path
     * or container), else what any image's provenance says of that blob ({@code inherited}); the
     * history step that made it; and the image of the store that introduced it (the one with the
     * fewest layers holding the same chain up to this layer: the base it comes from).
     */
    public record LayerOrigin(int index, String digest, long size, String diffId, String chainId, String createdBy,
                              Provenance.Layer provenance, boolean inherited, Image introducedBy) {
        @com.fasterxml.jackson.annotation.JsonProperty("source") public String source() {
            return provenance == null ? null : provenance.describe();
        }
    }

    /** The layers of {@code ref}, bottom first (see {@link LayerOrigin}). */
    public List<LayerOrigin> origins(String ref) {
        Image me = image(ref);
        Descriptor d = store.resolve(me.manifest());
        Manifest m = store.manifest(d);
        ObjectNode cfg = store.config(m);
        List<String> createdBy = new ArrayList<>();
        for (var h : cfg.path("history")) if (!h.path("empty_layer").asBoolean(false)) createdBy.add(h.path("created_by").asText(""));
        List<Digest> diffIds = Store.diffIds(cfg);
        Provenance own = store.provenance(d.digestValue());
        Map<String, Provenance.Layer> anyImage = null;
        List<LayerOrigin> out = new ArrayList<>();
        for (int i = 0; i < m.layers().size(); i++) {
            Descriptor l = m.layers().get(i);
            Provenance.Layer p = null;
            if (own != null) for (Provenance.Layer pl : own.layers()) if (pl.digest().equals(l.digest())) { p = pl; break; }
            boolean inherited = false;
            if (p == null) {
                if (anyImage == null) anyImage = store.knownLayerSources();
                p = anyImage.get(l.digest());
                inherited = p != null;
            }
            String chainId = i < me.layers() ? me.chain().get(i) : null;
            Image first = null;
            if (chainId != null)
                for (Image o : images)
                    if (o.layers() > i && o.chain().get(i).equals(chainId) && (first == null || o.layers() < first.layers())) first = o;
            out.add(new LayerOrigin(i, l.digest(), l.size(), i < diffIds.size() ? diffIds.get(i).toString() : null, chainId,
                    i < createdBy.size() ? createdBy.get(i) : null, p, inherited, first));
        }
        return out;
    }
}
