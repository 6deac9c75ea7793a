package dev.berth.engine.images;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.image.Images;
import dev.berth.image.api.ConfigChanges;
import dev.berth.image.api.Descriptor;
import dev.berth.image.api.Digest;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.ImageReference;
import dev.berth.image.api.Manifest;
import dev.berth.image.api.MediaTypes;
import dev.berth.image.api.Platform;
import dev.berth.image.archive.ArchiveLoader;
import dev.berth.image.registry.Credentials;
import dev.berth.image.registry.JsonProgress;
import dev.berth.image.registry.RegistryOptions;
import dev.berth.image.snapshot.SnapshotStore;
import dev.berth.image.snapshot.Snapshotter;
import dev.berth.image.store.Provenance;
import dev.berth.image.store.Store;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * The images of the Docker Engine API over berth-image's store (the one {@code bin/berth} uses,
 * at the same root, at the same time): list, inspect, history, tag, remove, prune, load, save,
 * pull, push, import, and {@link #resolve} for the containers engine. Answers are Jackson trees in
 * the shapes of moby's API 1.50 (ImageSummary, ImageInspect, HistoryResponseItem,
 * ImageDeleteResponseItem, ImagePruneResponse); failures are {@link ImageError}s with dockerd's
 * messages.
 *
 * <p>An image is what dockerd calls one: its ID is {@code sha256:} + the config digest; the store's
 * index entries (manifests) with the same config are one image with all their names. Concurrency
 * with {@code bin/berth} and other requests is berth-image's: content is added under the store's
 * shared GC lock (load, pull, import; here also save and push, so prune cannot delete what they
 * read), names change under the store lock, prune collects under the exclusive GC lock.
 */
public final class ImageService {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Pattern HEX_ID = Pattern.compile("[a-f0-9]{12,64}");

    private final Images images;
    private final Platform platform;
    private final RegistryOptions registry;
    private volatile ImageUsage usage = ImageUsage.NONE;

    public ImageService(Path root) {
        this(Images.open(root), hostPlatform(), RegistryOptions.DEFAULT);
    }

    ImageService(Images images, Platform platform, RegistryOptions registry) {
        this.images = images;
        this.platform = platform;
        this.registry = registry;
    }

    /** Who uses which image (the containers engine); {@link ImageUsage#NONE} by default. */
    public void usage(ImageUsage usage) { this.usage = usage == null ? ImageUsage.NONE : usage; }

    private volatile dev.berth.engine.events.EventBus events;

    /** Where image events (pull, push, tag, untag, delete, load, import, save) are published; null: none. */
    public void events(dev.berth.engine.events.EventBus bus) { this.events = bus; }

    /** dockerd's LogImageEvent: Actor ID {@code id}, attributes {@code name} and the image's labels. */
    private void event(String action, String id, String name, ObjectNode config) {
        dev.berth.engine.events.EventBus bus = events;
        if (bus == null) return;
        Map<String, String> a = new java.util.TreeMap<>();
        if (config != null) config.path("config").path("Labels").properties().forEach(e -> a.put(e.getKey(), e.getValue().asText()));
        a.put("name", name);
        bus.publish("image", action, id, a);
    }

    /** berth-image's service over the same store (snapshots, bundles). */
    public Images images() { return images; }

    /** The platform images are pulled and loaded for: this host's ({@code linux/amd64} here). */
    public static Platform hostPlatform() {
        String a = System.getProperty("os.arch", "amd64");
        return new Platform("linux", switch (a) { case "x86_64", "amd64" -> "amd64"; case "aarch64" -> "arm64"; default -> a; }, null);
    }

    // ---- the images of the store -----------------------------------------------------------

    /** One image: its ID (config digest), the manifests with that config and all their names. */
    record Image(String id, Descriptor manifest, Manifest m, ObjectNode config, List<Descriptor> manifests,
                 List<ImageReference> names) {
        long size() { return m.layers().stream().mapToLong(Descriptor::size).sum(); }
        long created() { return epochSeconds(config.path("created").asText("")); }
        String shortId() { return id.substring(7, 19); }
    }

    private List<Image> all() {
        Store store = images.store();
        Map<String, List<Descriptor>> byConfig = new LinkedHashMap<>();
        Map<String, Manifest> manifests = new LinkedHashMap<>();
        Set<String> seen = new LinkedHashSet<>();
        for (Descriptor d : store.readIndex().manifests()) {
            if (!MediaTypes.isManifest(d.mediaType()) || !seen.add(d.digest())) continue;
            Manifest m;
            try { m = store.manifest(d); } catch (ImageException e) { continue; } // removed meanwhile (bin/berth prune)
            byConfig.computeIfAbsent(m.config().digest(), k -> new ArrayList<>()).add(d);
            manifests.put(d.digest(), m);
        }
        Map<ImageReference, Descriptor> names = store.names();
        List<Image> out = new ArrayList<>();
        for (var e : byConfig.entrySet()) {
            Descriptor first = e.getValue().getFirst();
            Manifest m = manifests.get(first.digest());
            ObjectNode cfg;
            try { cfg = store.config(m); } catch (ImageException x) { continue; }
            Set<String> digests = new LinkedHashSet<>();
            e.getValue().forEach(d -> digests.add(d.digest()));
            List<ImageReference> ns = new ArrayList<>();
            names.forEach((r, d) -> { if (digests.contains(d.digest())) ns.add(r); });
            out.add(new Image(e.getKey(), first, m, cfg, List.copyOf(e.getValue()), ns));
        }
        return out;
    }

    /** The image {@code ref} names (a name, an ID or its prefix, a manifest digest); 404 otherwise. */
    private Image find(String ref) {
        if (ref == null || ref.isBlank()) throw ImageError.invalid("image name or ID must not be empty");
        Descriptor d;
        try {
            d = images.store().resolve(ref);
        } catch (ImageException.NotFound e) {
            throw ImageError.noSuchImage(ref);
        } catch (ImageException e) {
            throw ImageError.of(e);
        }
        for (Image i : all()) for (Descriptor m : i.manifests()) if (m.digest().equals(d.digest())) return i;
        throw ImageError.noSuchImage(ref);
    }

    /** Whether {@code ref} names the image by ID (or digest) rather than by a name. */
    private static boolean byId(String ref, Image i) {
        if (ref.startsWith("sha256:")) return true;
        if (ref.contains("@")) return true;
        if (!HEX_ID.matcher(ref).matches()) return false;
        if (i.id().substring(7).startsWith(ref)) return true;
        for (Descriptor m : i.manifests()) if (m.digestValue().hex().startsWith(ref)) return true;
        return false;
    }

    /** What dockerd prints for a reference: the familiar name with its tag ({@code busybox:latest}), else as given. */
    static String displayName(String ref) {
        if (ref == null) return "";
        if (ref.startsWith("sha256:") || HEX_ID.matcher(ref).matches()) return ref;
        try { return ImageReference.parse(ref).familiar(); } catch (ImageException e) { return ref; }
    }

    /** Distinct image IDs (for /info's Images). */
    public int count() {
        try { return all().size(); } catch (ImageException e) { throw ImageError.of(e); }
    }

    // ---- list ------------------------------------------------------------------------------

    static final Set<String> LIST_FILTERS = Set.of("dangling", "reference", "label", "before", "since", "until");

    /**
     * {@code GET /images/json}: ImageSummary per image, newest first. {@code filters}: dangling,
     * reference (glob on the familiar name, with or without tag; RepoTags then lists only the
     * matching names), label (key or key=value), before, since (image), until (timestamp).
     */
    public ArrayNode list(Map<String, List<String>> filters) {
        checkFilters(filters, LIST_FILTERS);
        try {
            List<Image> all = all();
            Boolean dangling = dangling(filters);
            Long before = createdOf(filters.get("before")), since = createdOf(filters.get("since"));
            Long until = until(filters.get("until"));
            List<Pattern> refs = new ArrayList<>();
            for (String p : filters.getOrDefault("reference", List.of())) refs.add(glob(p));
            List<ObjectNode> out = new ArrayList<>();
            List<Image> sorted = new ArrayList<>(all);
            sorted.sort(Comparator.comparingLong(Image::created).reversed());
            for (Image i : sorted) {
                if (dangling != null && dangling != i.names().isEmpty()) continue;
                if (!labelsMatch(i, filters.get("label"))) continue;
                if (before != null && i.created() >= before) continue;
                if (since != null && i.created() <= since) continue;
                if (until != null && i.created() > until) continue;
                List<ImageReference> names = i.names();
                if (!refs.isEmpty()) {
                    names = names.stream().filter(n -> refs.stream().anyMatch(p -> matches(p, n))).toList();
                    if (names.isEmpty()) continue;
                }
                out.add(summary(i, names));
            }
            ArrayNode a = MAPPER.createArrayNode();
            out.forEach(a::add);
            return a;
        } catch (ImageException e) {
            throw ImageError.of(e);
        }
    }

    private ObjectNode summary(Image i, List<ImageReference> names) {
        ObjectNode s = MAPPER.createObjectNode();
        s.put("Containers", -1);
        s.put("Created", i.created());
        s.put("Id", i.id());
        ObjectNode labels = s.putObject("Labels");
        i.config().path("config").path("Labels").properties().forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
        s.put("ParentId", "");
        ArrayNode digests = s.putArray("RepoDigests");
        repoDigests(i).forEach(digests::add);
        ArrayNode tags = s.putArray("RepoTags");
        names.forEach(n -> tags.add(n.familiar()));
        s.put("SharedSize", -1);
        s.put("Size", i.size());
        return s;
    }

    /** {@code repo@manifest-digest} for images pulled from a registry (as dockerd keeps them). */
    private List<String> repoDigests(Image i) {
        List<String> out = new ArrayList<>();
        for (Descriptor d : i.manifests()) {
            Provenance p = images.store().provenance(d.digestValue());
            if (p == null || p.image() == null || p.layers().stream().noneMatch(l -> "pull".equals(l.source()))) continue;
            try {
                String rd = ImageReference.parse(p.image()).withDigest(d.digestValue()).familiar();
                if (!out.contains(rd)) out.add(rd);
            } catch (ImageException ignored) {}
        }
        return out;
    }

    private static void checkFilters(Map<String, List<String>> filters, Set<String> allowed) {
        for (String k : filters.keySet()) if (!allowed.contains(k)) throw ImageError.invalid("invalid filter '" + k + "'");
    }

    private static Boolean dangling(Map<String, List<String>> filters) {
        List<String> v = filters.get("dangling");
        if (v == null || v.isEmpty()) return null;
        Boolean out = null;
        for (String s : v) {
            boolean b = switch (s.toLowerCase()) {
                case "true", "1" -> true;
                case "false", "0" -> false;
                default -> throw ImageError.invalid("invalid filter 'dangling=" + s + "'");
            };
            if (out != null && out != b) throw ImageError.invalid("invalid filter 'dangling': conflicting values");
            out = b;
        }
        return out;
    }

    private static boolean labelsMatch(Image i, List<String> wanted) {
        if (wanted == null) return true;
        JsonNode labels = i.config().path("config").path("Labels");
        for (String w : wanted) {
            int eq = w.indexOf('=');
            String k = eq < 0 ? w : w.substring(0, eq);
            if (!labels.has(k)) return false;
            if (eq >= 0 && !labels.path(k).asText().equals(w.substring(eq + 1))) return false;
        }
        return true;
    }

    private Long createdOf(List<String> refs) {
        if (refs == null || refs.isEmpty()) return null;
        return find(refs.getFirst()).created();
    }

    /** Go's path.Match of a reference pattern ({@code busy*}, {@code *&#47;busybox:*}). */
    static Pattern glob(String p) {
        StringBuilder r = new StringBuilder();
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            switch (c) {
                case '*' -> r.append("[^/]*");
                case '?' -> r.append("[^/]");
                case '[' -> {
                    int end = p.indexOf(']', i + 1);
                    if (end < 0) throw ImageError.invalid("invalid reference filter " + p + ": syntax error in pattern");
                    String cls = p.substring(i + 1, end);
                    boolean not = cls.startsWith("^") || cls.startsWith("!");
                    if (not) cls = cls.substring(1);
                    r.append('[').append(not ? "^" : "").append(cls.replace("\\", "\\\\").replace("[", "\\[")).append(']');
                    i = end;
                }
                case '\\' -> { if (i + 1 < p.length()) r.append(Pattern.quote(String.valueOf(p.charAt(++i)))); }
                default -> r.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(r.toString());
    }

    private static boolean matches(Pattern p, ImageReference n) {
        String full = n.familiar();
        String name = familiarName(n);
        return p.matcher(full).matches() || p.matcher(name).matches();
    }

    /** The familiar name without tag or digest ({@code busybox}, {@code 127.0.0.1:5000/a/b}). */
    static String familiarName(ImageReference n) {
        String f = n.withTag("latest").familiar();
        return f.substring(0, f.length() - ":latest".length());
    }

    /** Unix seconds, RFC 3339, or a Go duration before now ({@code 24h}, {@code 90m}). */
    static Long until(List<String> v) {
        if (v == null || v.isEmpty()) return null;
        String s = v.getFirst().trim();
        try {
            if (s.matches("\\d+(\\.\\d+)?")) return (long) Double.parseDouble(s);
            if (s.matches("(\\d+(\\.\\d+)?(h|m|s|ms))+")) {
                long seconds = 0;
                var m = Pattern.compile("(\\d+(?:\\.\\d+)?)(h|ms|m|s)").matcher(s);
                while (m.find()) {
                    double n = Double.parseDouble(m.group(1));
                    seconds += (long) switch (m.group(2)) { case "h" -> n * 3600; case "m" -> n * 60; case "s" -> n; default -> n / 1000; };
                }
                return Instant.now().getEpochSecond() - seconds;
            }
            return OffsetDateTime.parse(s).toEpochSecond();
        } catch (DateTimeParseException | NumberFormatException e) {
            throw ImageError.invalid("invalid filter 'until=" + s + "': not a timestamp or duration");
        }
    }

    static long epochSeconds(String rfc3339) {
        if (rfc3339 == null || rfc3339.isEmpty()) return 0;
        try { return OffsetDateTime.parse(rfc3339).toEpochSecond(); }
        catch (DateTimeParseException e) { return 0; }
    }

    // ---- inspect, history ------------------------------------------------------------------

    /** {@code GET /images/{name}/json}: ImageInspect. */
    public ObjectNode inspect(String ref) {
        try {
            Image i = find(ref);
            ObjectNode o = MAPPER.createObjectNode();
            o.put("Id", i.id());
            ArrayNode tags = o.putArray("RepoTags");
            i.names().forEach(n -> tags.add(n.familiar()));
            ArrayNode digests = o.putArray("RepoDigests");
            repoDigests(i).forEach(digests::add);
            o.put("Parent", "");
            o.put("Comment", lastComment(i.config()));
            o.put("Created", i.config().path("created").asText(""));
            o.put("DockerVersion", i.config().path("docker_version").asText(""));
            o.put("Author", i.config().path("author").asText(""));
            JsonNode cfg = i.config().path("config");
            o.set("Config", cfg.isObject() ? cfg.deepCopy() : MAPPER.createObjectNode());
            o.put("Architecture", i.config().path("architecture").asText(""));
            if (i.config().hasNonNull("variant")) o.put("Variant", i.config().path("variant").asText());
            o.put("Os", i.config().path("os").asText(""));
            if (i.config().hasNonNull("os.version")) o.put("OsVersion", i.config().path("os.version").asText());
            o.put("Size", i.size());
            ObjectNode gd = o.putObject("GraphDriver");
            ObjectNode data = gd.putObject("Data");
            List<Digest> chain = SnapshotStore.chainIds(Store.diffIds(i.config()));
            if (!chain.isEmpty()) {
                SnapshotStore snaps = images.snapshots();
                List<String> lowers = new ArrayList<>();
                for (int k = chain.size() - 2; k >= 0; k--) lowers.add(snaps.fs(chain.get(k)).toString());
                if (!lowers.isEmpty()) data.put("LowerDir", String.join(":", lowers));
                data.put("UpperDir", snaps.fs(chain.getLast()).toString());
            }
            gd.put("Name", "overlay2");
            ObjectNode rootfs = o.putObject("RootFS");
            rootfs.put("Type", "layers");
            ArrayNode layers = rootfs.putArray("Layers");
            Store.diffIds(i.config()).forEach(d -> layers.add(d.toString()));
            o.putObject("Metadata").put("LastTagTime", "0001-01-01T00:00:00Z");
            o.set("Descriptor", descriptor(i.manifest()));
            o.set("BerthProvenance", provenance(i.manifest()));
            return o;
        } catch (ImageException e) {
            throw ImageError.of(e);
        }
    }

    /**
     * berth's extension of ImageInspect (issue 13 §3; docker clients ignore unknown members): each
     * layer bottom first with where it came from, as {@code bin/berth history --provenance --format json}.
     */
    private ArrayNode provenance(Descriptor manifest) {
        var origins = dev.berth.image.pedigree.Pedigree.of(images.store(), images.snapshotter()).origins(manifest.digest());
        ArrayNode a = MAPPER.createArrayNode();
        for (var l : origins) {
            ObjectNode n = a.addObject();
            n.put("Digest", l.digest());
            n.put("DiffID", l.diffId());
            n.put("CreatedBy", l.createdBy());
            n.put("Source", l.source());
            if (l.provenance() != null) n.set("Record", MAPPER.valueToTree(l.provenance()));
            if (l.inherited()) n.put("Inherited", true);
            if (l.introducedBy() != null) {
                ObjectNode b = n.putObject("IntroducedBy");
                b.put("Id", l.introducedBy().id());
                ArrayNode t = b.putArray("RepoTags");
                l.introducedBy().names().forEach(t::add);
            }
        }
        return a;
    }

    private static ObjectNode descriptor(Descriptor d) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("mediaType", d.mediaType());
        o.put("digest", d.digest());
        o.put("size", d.size());
        return o;
    }

    private static String lastComment(ObjectNode cfg) {
        JsonNode h = cfg.path("history");
        return h.isArray() && !h.isEmpty() ? h.get(h.size() - 1).path("comment").asText("") : "";
    }

    /** {@code GET /images/{name}/history}: newest first; the top entry carries the ID and tags, the others {@code <missing>}. */
    public ArrayNode history(String ref) {
        try {
            Image i = find(ref);
            List<ObjectNode> rows = new ArrayList<>();
            int layer = 0;
            for (JsonNode h : i.config().path("history")) {
                boolean empty = h.path("empty_layer").asBoolean(false);
                long size = 0;
                if (!empty && layer < i.m().layers().size()) size = i.m().layers().get(layer++).size();
                rows.add(historyRow(epochSeconds(h.path("created").asText("")), h.path("created_by").asText(""), size,
                        h.path("comment").asText("")));
            }
            for (; layer < i.m().layers().size(); layer++)
                rows.add(historyRow(i.created(), "", i.m().layers().get(layer).size(), ""));
            ArrayNode a = MAPPER.createArrayNode();
            for (int k = rows.size() - 1; k >= 0; k--) {
                ObjectNode r = rows.get(k);
                if (k == rows.size() - 1) {
                    r.put("Id", i.id());
                    ArrayNode tags = r.putArray("Tags");
                    i.names().forEach(n -> tags.add(n.familiar()));
                } else {
                    r.put("Id", "<missing>");
                    r.putNull("Tags");
                }
                a.add(r);
            }
            return a;
        } catch (ImageException e) {
            throw ImageError.of(e);
        }
    }

    private static ObjectNode historyRow(long created, String createdBy, long size, String comment) {
        ObjectNode r = MAPPER.createObjectNode();
        r.put("Comment", comment);
        r.put("Created", created);
        r.put("CreatedBy", createdBy);
        r.put("Id", "");
        r.put("Size", size);
        return r;
    }

    // ---- tag, remove, prune ----------------------------------------------------------------

    /** {@code POST /images/{name}/tag?repo=&tag=}: names the image {@code repo:tag} (tag default latest). */
    public void tag(String source, String repo, String tag) {
        if (repo == null || repo.isBlank()) throw ImageError.invalid("repository name must have at least one component");
        ImageReference target;
        try {
            ImageReference r = ImageReference.parse(repo);
            if (r.digest() != null) throw ImageError.invalid("refusing to create a tag with a digest reference");
            if (tag != null && !tag.isEmpty()) {
                if (repo.lastIndexOf(':') > repo.lastIndexOf('/'))
                    throw ImageError.invalid("invalid reference format: " + repo + ":" + tag);
                r = r.withTag(tag);
            }
            target = r;
        } catch (ImageException.InvalidReference e) {
            throw ImageError.invalid("invalid reference format: " + e.getMessage());
        }
        Image i = find(source);
        try {
            images.store().tag(target, i.manifest());
        } catch (ImageException e) {
            throw ImageError.of(e);
        }
        event("tag", i.id(), target.familiar(), i.config());
    }

    /**
     * {@code DELETE /images/{name}}: dockerd's answer, a list of {@code {"Untagged": name}} and
     * {@code {"Deleted": id}} (then the layers that went with it). By name: the name goes; the image
     * goes with its last name. By ID: all its names and the image (several repositories: only with
     * {@code force}). An image a container uses is a 409 conflict with dockerd's message (a running
     * container's even with force). {@code noprune} is accepted (berth images have no parent images).
     */
    public ArrayNode remove(String ref, boolean force, boolean noprune) {
        Image i = find(ref);
        Store store = images.store();
        ArrayNode out = MAPPER.createArrayNode();
        List<ImageUsage.User> users = usage.users(i.id());
        boolean removedName = false;
        try {
            if (!byId(ref, i)) {
                ImageReference r = ImageReference.parse(ref);
                if (i.names().size() <= 1 && !users.isEmpty() && !force)
                    throw ImageError.conflict("conflict: unable to remove repository reference \"" + ref + "\" (must force) - container "
                            + shortId(users.getFirst().containerId()) + " is using its referenced image " + i.shortId());
                if (!untagKeeping(r, i.manifest())) throw ImageError.noSuchImage(ref);
                out.addObject().put("Untagged", r.familiar());
                event("untag", i.id(), i.id(), i.config());
                if (i.names().stream().anyMatch(n -> !n.equals(r))) return out;
                removedName = true;
            } else if (!force && i.names().stream().map(ImageReference::name).distinct().count() > 1) {
                throw ImageError.conflict("conflict: unable to delete " + i.shortId() + " (must be forced) - image is referenced in multiple repositories");
            }
            ImageUsage.User running = users.stream().filter(ImageUsage.User::running).findFirst().orElse(null);
            if (running != null) {
                if (removedName) return out;
                throw ImageError.conflict("conflict: unable to delete " + i.shortId() + " (cannot be forced) - image is being used by running container "
                        + shortId(running.containerId()));
            }
            if (!users.isEmpty() && !force) {
                if (removedName) return out;
                throw ImageError.conflict("conflict: unable to delete " + i.shortId() + " (must be forced) - image is being used by stopped container "
                        + shortId(users.getFirst().containerId()));
            }
            for (ImageReference n : i.names()) {
                if (!store.untag(n)) continue;
                out.addObject().put("Untagged", n.familiar());
                event("untag", i.id(), i.id(), i.config());
            }
            for (Descriptor m : i.manifests()) store.removeManifest(m.digestValue());
            out.addObject().put("Deleted", i.id());
            event("delete", i.id(), i.id(), i.config());
            for (Digest layer : images.prune().snapshots()) out.addObject().put("Deleted", layer.toString());
            return out;
        } catch (ImageException e) {
            throw ImageError.of(e);
        }
    }

    /**
     * Removes name {@code r}; if it was the manifest's last, the manifest stays in the index unnamed
     * (a dangling image, kept from GC), in the same index update so no prune sees it unreferenced.
     */
    private boolean untagKeeping(ImageReference r, Descriptor manifest) {
        String name = r.toString();
        boolean[] found = {false};
        images.store().updateIndex(list -> {
            found[0] = list.removeIf(d -> name.equals(d.annotation(Store.REF_NAME)));
            if (found[0] && list.stream().noneMatch(d -> d.digest().equals(manifest.digest())))
                list.add(new Descriptor(manifest.mediaType(), manifest.digest(), manifest.size(), null, manifest.platform(), null));
            return list;
        });
        return found[0];
    }

    private static String shortId(String id) {
        String hex = id.startsWith("sha256:") ? id.substring(7) : id;
        return hex.length() > 12 ? hex.substring(0, 12) : hex;
    }

    /**
     * {@code POST /images/prune}: removes dangling images (with {@code dangling=false}: every image no
     * container uses), filtered by label and until; then the blobs and layers nothing references.
     * ImagePruneResponse: {@code ImagesDeleted} (Untagged/Deleted items), {@code SpaceReclaimed}.
     */
    public ObjectNode prune(Map<String, List<String>> filters) {
        checkFilters(filters, Set.of("dangling", "label", "label!", "until"));
        Boolean d = dangling(filters);
        boolean danglingOnly = d == null || d;
        Long until = until(filters.get("until"));
        ObjectNode r = MAPPER.createObjectNode();
        ArrayNode deleted = MAPPER.createArrayNode();
        try {
            Store store = images.store();
            for (Image i : all()) {
                if (danglingOnly && !i.names().isEmpty()) continue;
                if (!labelsMatch(i, filters.get("label"))) continue;
                List<String> not = filters.get("label!");
                if (not != null && !not.isEmpty() && labelsMatch(i, List.of(not.getFirst()))) continue;
                if (until != null && i.created() > until) continue;
                if (!usage.users(i.id()).isEmpty()) continue;
                for (ImageReference n : i.names()) {
                    if (!store.untag(n)) continue;
                    deleted.addObject().put("Untagged", n.familiar());
                    event("untag", i.id(), i.id(), i.config());
                }
                for (Descriptor m : i.manifests()) store.removeManifest(m.digestValue());
                deleted.addObject().put("Deleted", i.id());
                event("delete", i.id(), i.id(), i.config());
            }
            Images.PruneResult gc = images.prune();
            for (Digest layer : gc.snapshots()) deleted.addObject().put("Deleted", layer.toString());
            if (deleted.isEmpty()) r.putNull("ImagesDeleted"); else r.set("ImagesDeleted", deleted);
            r.put("SpaceReclaimed", gc.bytes());
            return r;
        } catch (ImageException e) {
            throw ImageError.of(e);
        }
    }

    // ---- load, save, import ----------------------------------------------------------------

    /**
     * {@code POST /images/load}: a docker-save or OCI archive (tar, optionally compressed) read from
     * {@code archive} as it arrives; returns dockerd's lines ("Loaded image: busybox:latest",
     * "Loaded image ID: sha256:..." for an unnamed one). All or nothing: a corrupt or truncated
     * archive (a client that hangs up) names nothing and leaves none of its blobs.
     */
    public List<String> load(InputStream archive) {
        try {
            List<ArchiveLoader.Loaded> loaded;
            try {
                loaded = images.load(archive, null, platform);
            } catch (ImageException.Store e) {
                // mostly the archive's fault (a truncated tar, a client gone mid-body): bad input
                throw new ImageError(ImageError.Kind.INVALID, e.getMessage(), e);
            }
            List<String> out = new ArrayList<>();
            for (ArchiveLoader.Loaded l : loaded) {
                String id = images.store().manifest(l.manifest()).config().digest();
                if (l.names().isEmpty()) {
                    out.add("Loaded image ID: " + id);
                    event("load", id, id, null);
                } else {
                    for (ImageReference n : l.names()) {
                        out.add("Loaded image: " + n.familiar());
                        event("load", id, n.familiar(), null);
                    }
                }
            }
            return out;
        } catch (ImageException e) {
            throw ImageError.of(e);
        }
    }

    /**
     * Checks that every one of {@code refs} names an image (404 for the first that does not), so
     * that a save can fail before its response starts.
     */
    public void checkExist(List<String> refs) {
        if (refs.isEmpty()) throw ImageError.invalid("no image names given");
        for (String r : refs) find(r);
    }

    /** {@code GET /images/get}, {@code /images/{name}/get}: a docker-save archive (which is also an OCI layout) of {@code refs} to {@code out}. */
    public void save(List<String> refs, OutputStream out) {
        checkExist(refs);
        try (Store.Adding ignored = images.store().adding()) {   // prune waits: the blobs stay while they are read
            images.save(refs, false, out);
        } catch (ImageException e) {
            throw ImageError.of(e);
        }
        for (String r : refs) {
            try {
                Image i = find(r);
                event("save", i.id(), i.id(), i.config());
            } catch (RuntimeException ignored) {
                // removed meanwhile: saved all the same
            }
        }
    }

    /**
     * {@code POST /images/create?fromSrc=-}: a one-layer image from the root filesystem tarball in
     * {@code tarball} (tar, tar.gz, tar.zst), named {@code repo[:tag]} when a repo is given, with
     * Dockerfile {@code changes} (CMD, ENV, ...) applied. Returns the new image's ID.
     */
    public String importImage(InputStream tarball, String repo, String tag, List<String> changes, Platform platform) {
        ImageReference name = null;
        if (repo != null && !repo.isEmpty()) {
            try {
                name = ImageReference.parse(repo);
                if (tag != null && !tag.isEmpty()) name = name.withTag(tag);
            } catch (ImageException.InvalidReference e) {
                throw ImageError.invalid("invalid reference format: " + e.getMessage());
            }
        }
        ConfigChanges cc;
        try {
            cc = ConfigChanges.parse(changes == null ? List.of() : changes);
        } catch (ImageException e) {
            throw ImageError.invalid(e.getMessage());
        } catch (IllegalArgumentException e) {
            throw ImageError.invalid("invalid change: " + e.getMessage());
        }
        Path spool = images.store().root().resolve("ingest").resolve("import-" + UUID.randomUUID() + ".tar");
        try {
            try (OutputStream o = Files.newOutputStream(spool)) {
                tarball.transferTo(o);
            } catch (IOException e) {
                throw ImageError.invalid("cannot read the image tarball: " + e.getMessage());
            }
            Descriptor d = images.importRootfs(spool, name, platform == null ? this.platform : platform, cc);
            String id = images.store().manifest(d).config().digest();
            event("import", id, id, null);
            return id;
        } catch (ImageException e) {
            throw ImageError.of(e);
        } finally {
            try { Files.deleteIfExists(spool); } catch (IOException ignored) {}
        }
    }

    // ---- registry --------------------------------------------------------------------------

    /** The reference {@code POST /images/create?fromImage=&tag=} asks for (tag: a tag or a digest); 400 if malformed. */
    public static ImageReference pullReference(String fromImage, String tag) {
        if (fromImage == null || fromImage.isBlank()) throw ImageError.invalid("fromImage or fromSrc is required");
        try {
            ImageReference r = ImageReference.parse(fromImage);
            if (tag != null && !tag.isEmpty()) {
                if (Digest.isDigest(tag)) r = r.withDigest(Digest.parse(tag));
                else r = ImageReference.parse(r.name() + ":" + tag);
            }
            return r;
        } catch (ImageException e) {
            throw ImageError.invalid("invalid reference format: " + e.getMessage());
        }
    }

    /**
     * Credentials from an {@code X-Registry-Auth} header: base64url JSON {@code {username, password}}
     * (or {@code auth}: base64 user:password) or {@code {identitytoken}}; none (absent, empty, {})
     * means anonymous, never the daemon's own docker config.
     */
    public static Credentials credentials(String header) {
        if (header == null || header.isBlank()) return Credentials.NONE;
        JsonNode j;
        try {
            String h = header.trim().replace('+', '-').replace('/', '_');
            byte[] raw = Base64.getUrlDecoder().decode(h.replace("=", ""));
            j = MAPPER.readTree(new String(raw, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException | IOException e) {
            throw ImageError.invalid("invalid X-Registry-Auth header: " + e.getMessage());
        }
        if (j == null || !j.isObject()) return Credentials.NONE;
        String user = j.path("username").asText(""), pass = j.path("password").asText("");
        String token = j.path("identitytoken").asText("");
        String auth = j.path("auth").asText("");
        if (user.isEmpty() && !auth.isEmpty()) {
            try {
                String up = new String(Base64.getDecoder().decode(auth), StandardCharsets.UTF_8);
                int c = up.indexOf(':');
                if (c > 0) { user = up.substring(0, c); pass = up.substring(c + 1); }
            } catch (IllegalArgumentException e) {
                throw ImageError.invalid("invalid X-Registry-Auth header: auth is not base64");
            }
        }
        if (!token.isEmpty()) return new Credentials(user.isEmpty() ? null : user, null, token);
        if (user.isEmpty() && pass.isEmpty()) return Credentials.NONE;
        return new Credentials(user, pass);
    }

    /**
     * Pulls {@code ref} for {@code platform} (null: this host's), writing Docker's progress messages
     * (one JSON document per call) to {@code lines}; throws {@link ImageError} on failure.
     */
    public void pull(ImageReference ref, Platform platform, Credentials credentials, Consumer<String> lines) {
        JsonProgress progress = JsonProgress.to(lines);
        Store store = images.store();
        try {
            Descriptor before = ref.tag() != null ? store.names().get(ref) : null;
            progress.pullStarted(ref);
            Descriptor d = images.pull(ref, platform == null ? this.platform : platform, registry.withCredentials(credentials), progress);
            progress.pulled(ref, d.digestValue(), before == null || !before.digest().equals(d.digest()));
            event("pull", ref.familiar(), familiarName(ref), null);
        } catch (ImageException e) {
            throw ImageError.of(e);
        }
    }

    /**
     * Pushes {@code name} ({@code tag}: that tag; empty: every tag of the repository) to its
     * registry, writing Docker's progress messages to {@code lines}. The image must exist: checked
     * before anything is written ({@link #pushSources}).
     */
    public void push(List<ImageReference> sources, Credentials credentials, Consumer<String> lines) {
        JsonProgress progress = JsonProgress.to(lines);
        try (Store.Adding ignored = images.store().adding()) {
            progress.pushStarted(sources.getFirst());
            for (ImageReference r : sources) {
                Digest d = images.push(r.toString(), r, registry.withCredentials(credentials), progress);
                progress.pushed(r, d, images.store().blobSize(d));
                event("push", r.familiar(), familiarName(r), null);
            }
        } catch (ImageException e) {
            throw ImageError.of(e);
        }
    }

    /** The local names {@code POST /images/{name}/push?tag=} pushes; 404 "An image does not exist locally with the tag" if none. */
    public List<ImageReference> pushSources(String name, String tag) {
        ImageReference r;
        try {
            r = ImageReference.parse(name);
            if (tag != null && !tag.isEmpty()) r = ImageReference.parse(r.name() + ":" + tag);
        } catch (ImageException e) {
            throw ImageError.invalid("invalid reference format: " + e.getMessage());
        }
        Map<ImageReference, Descriptor> names = images.store().names();
        List<ImageReference> out = new ArrayList<>();
        boolean allTags = (tag == null || tag.isEmpty()) && name.lastIndexOf(':') <= name.lastIndexOf('/') && !name.contains("@");
        if (allTags) {
            String repo = r.name();
            names.keySet().stream().filter(n -> n.name().equals(repo)).forEach(out::add);
        } else if (names.containsKey(r)) {
            out.add(r);
        }
        if (out.isEmpty())
            throw ImageError.notFound("An image does not exist locally with the tag: " + (allTags ? familiarName(r) : r.familiar()));
        return out;
    }

    /** One image's layers for GET /system/df: its ID and each layer's digest with its size (as Size counts them). */
    public record Layers(String id, Map<String, Long> sizes) {}

    /** Every image's layers (GET /system/df: LayersSize, SharedSize). */
    public List<Layers> layers() {
        try {
            List<Layers> out = new ArrayList<>();
            for (Image i : all()) {
                Map<String, Long> m = new LinkedHashMap<>();
                for (Descriptor d : i.m().layers()) m.put(d.digest(), d.size());
                out.add(new Layers(i.id(), m));
            }
            return out;
        } catch (ImageException e) {
            throw ImageError.of(e);
        }
    }

    // ---- for the containers engine ---------------------------------------------------------

    /**
     * What a container is created from: the image's ID, the manifest digest to give
     * {@link Snapshotter#prepare(String, String, Map, List)} (exactly this image, whatever names
     * change meanwhile), its names, its whole config JSON (config.config is Docker's ImageConfig:
     * Env, Cmd, Entrypoint, WorkingDir, User, ExposedPorts, Volumes, Labels, StopSignal) and its
     * layers' chain IDs.
     */
    public record Resolved(String id, String manifest, List<String> names, ObjectNode config, List<String> chainIds) {}

    /** Resolves {@code ref} (a name, ID, ID prefix or digest); 404 "No such image: ..." when absent. */
    public Resolved resolve(String ref) {
        try {
            Image i = find(ref);
            List<String> chain = SnapshotStore.chainIds(Store.diffIds(i.config())).stream().map(Digest::toString).toList();
            return new Resolved(i.id(), i.manifest().digest(), i.names().stream().map(ImageReference::familiar).toList(),
                    i.config().deepCopy(), chain);
        } catch (ImageException e) {
            throw ImageError.of(e);
        } catch (UncheckedIOException e) {
            throw new ImageError(ImageError.Kind.INTERNAL, e.getMessage(), e);
        }
    }
}
