package dev.berth.image.snapshot;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.image.api.ConfigChanges;
import dev.berth.image.api.Descriptor;
import dev.berth.image.api.Digest;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.ImageReference;
import dev.berth.image.api.Json;
import dev.berth.image.api.Manifest;
import dev.berth.image.api.Platform;
import dev.berth.image.store.ImageWriter;
import dev.berth.image.store.LayerBlobs;
import dev.berth.image.store.Provenance;
import dev.berth.image.store.Store;
import dev.berth.image.tar.Dir;
import dev.berth.image.tar.Libc;
import dev.berth.sys.Syscalls;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Container root filesystems: an overlayfs mount of the image's layer snapshots (read-only
 * lowerdirs, top first) plus the container's own {@code upper/} and {@code work/} under
 * {@code containers/ID/}; the mount point is {@code containers/ID/rootfs}. Mounted with mount(2)
 * through berth-sys's {@link Syscalls}, never a subprocess.
 */
public final class Snapshotter {
    private static final Pattern ID = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}");

    /**
     * What containers/ID/image.json records: the image as the user named it, its manifest digest,
     * the chain IDs of its layers (bottom first) and the caller's labels (e.g. the bundle directory
     * the CLI wrote for it).
     */
    public record ContainerInfo(String id, String image, String manifest, List<String> chain, Map<String, String> labels) {
        public ContainerInfo {
            chain = chain == null ? List.of() : List.copyOf(chain);
            labels = labels == null ? Map.of() : Collections.unmodifiableMap(new java.util.TreeMap<>(labels));
        }
        public ContainerInfo(String id, String image, String manifest, List<String> chain) { this(id, image, manifest, chain, null); }
    }

    private final Store store;
    private final SnapshotStore snapshots;
    private final Syscalls sys;

    public Snapshotter(Store store, SnapshotStore snapshots) { this(store, snapshots, Syscalls.linux()); }

    /** Mounting and unmounting through {@code sys} (a test's recording double, or the kernel). */
    public Snapshotter(Store store, SnapshotStore snapshots, Syscalls sys) { this.store = store; this.snapshots = snapshots; this.sys = sys; }

    private Path cdir(String id) {
        if (id == null || !ID.matcher(id).matches()) throw new ImageException.InvalidReference("invalid container id: " + id);
        return store.containersDir().resolve(id);
    }

    /** Unpacks what is missing of the image and returns its chain IDs (bottom first). */
    public List<Digest> ensureUnpacked(Descriptor manifestDesc) {
        Manifest m = store.manifest(manifestDesc);
        ObjectNode cfg = store.config(m);
        List<Digest> diffIds = Store.diffIds(cfg);
        if (diffIds.size() != m.layers().size())
            throw new ImageException.BadManifest("image " + manifestDesc.digest() + " has " + m.layers().size()
                    + " layers but its config lists " + diffIds.size() + " diff_ids");
        List<Digest> chain = SnapshotStore.chainIds(diffIds);
        for (int i = 0; i < chain.size(); i++) snapshots.unpack(chain.get(i), m.layers().get(i), diffIds.get(i));
        return chain;
    }

    /** Creates and mounts the rootfs of a new container; returns the mount point. */
    public Path prepare(String containerId, String imageRef) { return prepare(containerId, imageRef, Map.of()); }

    /**
     * As {@link #prepare(String, String)}, recording {@code labels} in the container's image.json.
     * A name already in use is an {@link ImageException.InvalidReference}; an unknown image a
     * {@link ImageException.NotFound}; either way nothing is created. On any later failure the
     * container's directory is removed again.
     */
    public Path prepare(String containerId, String imageRef, Map<String, String> labels) {
        return prepare(containerId, imageRef, labels, List.of());
    }

    /**
     * As {@link #prepare(String, String, Map)}, with {@code mountPoints}: absolute directories the
     * runtime will mount on (/proc, /dev, /sys, ...). Those the image lacks are made in an
     * {@code init} layer between the image and the container's upper dir, as Docker's "-init"
     * layer, so that neither {@link #diff} nor {@link #commit} sees them as the container's changes.
     */
    public Path prepare(String containerId, String imageRef, Map<String, String> labels, List<String> mountPoints) {
        return prepare(containerId, imageRef, labels, mountPoints, List.of(), false);
    }

    /** As {@link #prepare(String, String, Map, List, List, boolean)} with no file mount points. */
    public Path prepare(String containerId, String imageRef, Map<String, String> labels, List<String> mountPoints, boolean volatileUpper) {
        return prepare(containerId, imageRef, labels, mountPoints, List.of(), volatileUpper);
    }

    /** As {@link #prepare(String, String, Map, List, List, boolean)}, not volatile. */
    public Path prepare(String containerId, String imageRef, Map<String, String> labels, List<String> mountPoints,
            List<String> fileMountPoints) {
        return prepare(containerId, imageRef, labels, mountPoints, fileMountPoints, false);
    }

    /**
     * As {@link #prepare(String, String, Map, List)}, with {@code fileMountPoints}: absolute paths
     * the runtime will bind a file onto (/etc/hosts, /etc/resolv.conf, ...). Those the image lacks
     * are made as empty files (their missing directories as directories) in the init layer, as
     * Docker's init layer does, so a file bind mount never meets a directory made for it. With
     * {@code volatileUpper} the overlay is mounted with {@code volatile} (kernel 5.10+; refused:
     * mounted without it): no sync of the upper file system on the overlay's syncfs or unmount. For
     * a container whose files need not outlive a host crash (an AutoRemove one): after a crash its
     * upper dir may be incomplete, and the kernel refuses to mount it again, which berth never does
     * (the overlay is mounted from create to remove).
     */
    public Path prepare(String containerId, String imageRef, Map<String, String> labels, List<String> mountPoints,
            List<String> fileMountPoints, boolean volatileUpper) {
        List<String> all = new ArrayList<>(mountPoints);
        all.addAll(fileMountPoints);
        java.util.Set<String> files = new java.util.HashSet<>(fileMountPoints);
        try (Store.Adding ignored = store.adding()) { return prepareAdding(containerId, imageRef, labels, all, files, volatileUpper); }
    }

    private Path prepareAdding(String containerId, String imageRef, Map<String, String> labels, List<String> mountPoints,
            java.util.Set<String> files, boolean volatileUpper) {
        Path c = cdir(containerId);
        if (Files.exists(c, LinkOption.NOFOLLOW_LINKS)) throw inUse(containerId);
        Descriptor md = store.resolve(imageRef);
        List<Digest> chain = ensureUnpacked(md);
        try {
            // atomic: of two prepares of one name, one fails here; 0700: no other host user reaches the
            // container's files (a setuid binary it planted in upper/ or rootfs/ included)
            Files.createDirectory(c, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (java.nio.file.FileAlreadyExistsException e) {
            throw inUse(containerId);
        } catch (IOException e) {
            throw new ImageException.Store("cannot create " + c + ": " + e.getMessage(), e);
        }
        try {
            Files.createDirectories(c.resolve("upper"));
            Files.createDirectories(c.resolve("work"));
            Files.createDirectories(c.resolve("rootfs"));
            List<String> lowers = new ArrayList<>();
            for (int i = chain.size() - 1; i >= 0; i--) lowers.add(snapshots.fs(chain.get(i)).toString());
            List<Path> image = lowers.stream().map(Path::of).toList();
            if (makeInit(c.resolve(INIT), image, mountPoints, files)) lowers.addFirst(c.resolve(INIT).toString());
            if (lowers.isEmpty()) {
                Files.createDirectories(c.resolve("empty"));
                lowers.add(c.resolve("empty").toString());
            }
            for (String l : lowers) checkOverlayPath(l);
            checkOverlayPath(c.toString());
            List<String> chainS = chain.stream().map(Digest::toString).toList();
            Files.write(c.resolve("image.json"), Json.write(new ContainerInfo(containerId, imageRef, md.digest(), chainS, labels)));
            String data = "lowerdir=" + String.join(":", lowers) + ",upperdir=" + c.resolve("upper") + ",workdir=" + c.resolve("work");
            if (data.length() > 4095)
                throw new ImageException.Mount("overlay options for " + chain.size() + " layers exceed one page (" + data.length() + " bytes); root path too long");
            try {
                if (volatileUpper) {
                    try {
                        Libc.mount(sys, "overlay", c.resolve("rootfs"), "overlay", 0, data + ",volatile");
                        return c.resolve("rootfs");
                    } catch (Libc.Errno e) {
                        if (e.errno != Libc.EINVAL) throw e;   // a kernel without volatile: as below
                    }
                }
                Libc.mount(sys, "overlay", c.resolve("rootfs"), "overlay", 0, data);
            } catch (Libc.Errno e) {
                throw new ImageException.Mount("cannot mount overlay rootfs of " + containerId + ": " + e.getMessage());
            }
            return c.resolve("rootfs");
        } catch (IOException | RuntimeException e) {
            try { Store.deleteTree(c); } catch (IOException ignored) {}
            if (e instanceof RuntimeException r) throw r;
            throw new ImageException.Store("cannot prepare rootfs of " + containerId + ": " + e.getMessage(), e);
        }
    }

    private static final String INIT = "init";

    /**
     * Makes in {@code init} the mount points the image (its layers, top first) lacks; a directory
     * on the way that the image has keeps its mode and owner. A mount point under something the
     * image has as a non-directory is left to the runtime. Returns whether anything was made.
     */
    private boolean makeInit(Path init, List<Path> image, List<String> mountPoints, java.util.Set<String> files) throws IOException {
        if (mountPoints.isEmpty()) return false;
        Files.createDirectory(init);
        if (!image.isEmpty()) copyOwnerAndMode(image.getFirst(), init);   // the merged root keeps the image's
        boolean made = false;
        for (String mp : mountPoints) {
            if (mp == null || !mp.startsWith("/")) throw new ImageException.InvalidReference("mount point is not absolute: " + mp);
            List<String> parts = new ArrayList<>();
            for (String part : mp.substring(1).split("/")) {
                if (part.equals(".") || part.equals(".."))
                    throw new ImageException.InvalidReference("mount point " + mp + " has '" + part + "' in it");
                if (!part.isEmpty()) parts.add(part);
            }
            String rel = "";
            List<String> ancestors = new ArrayList<>();     // image directories on the way, not yet in init
            List<Path> ancestorSources = new ArrayList<>();
            for (int pi = 0; pi < parts.size(); pi++) {
                String part = parts.get(pi);
                rel = rel + "/" + part;
                boolean file = pi == parts.size() - 1 && files.contains(mp);
                Path target = init.resolve(rel.substring(1));
                if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS) || file && Files.exists(target, LinkOption.NOFOLLOW_LINKS)) continue;
                Path inImage = lowerPath(image, rel);
                if (inImage != null) {
                    if (!Files.isDirectory(inImage, LinkOption.NOFOLLOW_LINKS)) break;   // a file or symlink: the runtime decides
                    ancestors.add(rel);
                    ancestorSources.add(inImage);
                    continue;
                }
                for (int k = 0; k < ancestors.size(); k++) {   // the merged directory keeps the image's mode and owner
                    Path d = init.resolve(ancestors.get(k).substring(1));
                    Files.createDirectory(d);
                    copyOwnerAndMode(ancestorSources.get(k), d);
                }
                ancestors.clear();
                ancestorSources.clear();
                if (file) Files.createFile(target, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
                else Files.createDirectory(target);
                made = true;
            }
        }
        if (!made) Files.delete(init);
        return made;
    }

    private void copyOwnerAndMode(Path from, Path to) throws IOException {
        Files.setPosixFilePermissions(to, Files.getPosixFilePermissions(from, LinkOption.NOFOLLOW_LINKS));
        Libc.lchown(sys, to, ((Number) Files.getAttribute(from, "unix:uid", LinkOption.NOFOLLOW_LINKS)).intValue(),
                ((Number) Files.getAttribute(from, "unix:gid", LinkOption.NOFOLLOW_LINKS)).intValue());
    }

    private ImageException inUse(String containerId) {
        String image = "";
        try { image = " (a container of " + info(containerId).image() + ")"; } catch (ImageException ignored) {}
        return new ImageException.InvalidReference("name " + containerId + " is already in use" + image);
    }

    private static void checkOverlayPath(String p) {
        if (p.contains(":") || p.contains(",") || p.contains("\\"))
            throw new ImageException.Mount("path unusable in overlay options (contains ':', ',' or '\\'): " + p);
    }

    public Path rootfs(String containerId) { return cdir(containerId).resolve("rootfs"); }

    public ContainerInfo info(String containerId) {
        Path f = cdir(containerId).resolve("image.json");
        try { return Json.read(Files.readAllBytes(f), ContainerInfo.class, "container " + containerId); }
        catch (IOException e) { throw new ImageException.NotFound("no such container: " + containerId); }
    }

    public List<ContainerInfo> list() {
        List<ContainerInfo> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(store.containersDir())) {
            for (Path p : ds) {
                try { out.add(info(p.getFileName().toString())); } catch (ImageException ignored) {}
            }
        } catch (IOException e) {
            throw new ImageException.Store("cannot list containers: " + e.getMessage(), e);
        }
        return out;
    }

    /** Unmounts (if mounted) and deletes the container's rootfs, upper and work dirs. */
    public void remove(String containerId) {
        remove(containerId, d -> false);
    }

    /**
     * As {@link #remove(String)}, the unmounted directory handed to {@code moveAway} first (e.g. a
     * rename into a trash directory that a background thread empties); deleted here only if it
     * returns false.
     */
    public void remove(String containerId, java.util.function.Predicate<Path> moveAway) {
        Path c = cdir(containerId);
        if (!Files.exists(c, LinkOption.NOFOLLOW_LINKS)) throw new ImageException.NotFound("no such container: " + containerId);
        unmount(c.resolve("rootfs"));
        if (moveAway.test(c)) return;
        try { Store.deleteTree(c); }
        catch (IOException e) { throw new ImageException.Store("cannot delete " + c + ": " + e.getMessage(), e); }
    }

    /**
     * The processes whose root directory ({@code /proc/PID/root}) is in the container's rootfs,
     * sorted: a container run on it, or a process chrooted or pivoted into it. While the rootfs is
     * a mount point, a root anywhere on that overlay counts, compared by device number, which is
     * the overlay's own and the same in every mount namespace (a container's pivot_root or bind
     * mount of the rootfs is that overlay too); otherwise the rootfs directory itself (device and
     * inode). Processes that end meanwhile (zombies included: they hold no root) or that cannot be
     * read are left out. Throws {@link ImageException.NotFound} for an unknown container.
     */
    public List<Long> processesIn(String containerId) {
        Path c = cdir(containerId);
        if (!Files.exists(c, LinkOption.NOFOLLOW_LINKS)) throw new ImageException.NotFound("no such container: " + containerId);
        long[] rootfs = devIno(c.resolve("rootfs")), dir = devIno(c);
        if (rootfs == null || dir == null) return List.of();
        boolean wholeDevice = rootfs[0] != dir[0];   // a mount point: its own device
        List<Long> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/proc"))) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (n.isEmpty() || !n.chars().allMatch(Character::isDigit)) continue;
                long[] root = devIno(p.resolve("root"));
                if (root != null && root[0] == rootfs[0] && (wholeDevice || root[1] == rootfs[1])) out.add(Long.parseLong(n));
            }
        } catch (IOException e) {
            throw new ImageException.Store("cannot read /proc: " + e.getMessage(), e);
        }
        Collections.sort(out);
        return out;
    }

    /** stat(2) (links followed, as /proc/PID/root needs): device and inode, or null when it cannot be read. */
    private static long[] devIno(Path p) {
        try {
            Map<String, Object> a = Files.readAttributes(p, "unix:dev,ino");
            return new long[]{((Number) a.get("dev")).longValue(), ((Number) a.get("ino")).longValue()};
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Whether the container's rootfs is mounted (an overlay at containers/ID/rootfs in this mount
     * namespace): the rootfs directory on another device than its container directory (two stat
     * calls, not a read of /proc/self/mountinfo, whose length grows with every container).
     */
    public boolean mounted(String containerId) {
        long[] rootfs = devIno(rootfs(containerId)), dir = devIno(cdir(containerId));
        if (rootfs != null && dir != null) return rootfs[0] != dir[0];
        return mountedByMountinfo(containerId);
    }

    /** {@link #mounted} by /proc/self/mountinfo (when the directories cannot be stat'ed). */
    boolean mountedByMountinfo(String containerId) {
        String mp = rootfs(containerId).toAbsolutePath().normalize().toString();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] f = line.split(" ");
                if (f.length > 4 && unescapeMountinfo(f[4]).equals(mp)) return true;
            }
            return false;
        } catch (IOException e) {
            throw new ImageException.Store("cannot read /proc/self/mountinfo: " + e.getMessage(), e);
        }
    }

    private static String unescapeMountinfo(String s) {
        if (s.indexOf('\\') < 0) return s;
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '\\' && i + 3 < s.length()) { b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8)); i += 3; }
            else b.append(ch);
        }
        return b.toString();
    }

    private void unmount(Path mp) {
        try {
            Libc.umount2(sys, mp, 0);
        } catch (Libc.Errno e) {
            if (e.errno == Libc.EINVAL || e.errno == Libc.ENOENT) return;   // not mounted
            try { Libc.umount2(sys, mp, Libc.MNT_DETACH); }
            catch (Libc.Errno e2) { throw new ImageException.Mount("cannot unmount " + mp + ": " + e2.getMessage()); }
        }
    }

    /** What the container changed against its image, sorted by path. */
    public List<Change> diff(String containerId) {
        return walkDiff(containerId, false).stream().map(Detailed::change).toList();
    }

    /**
     * One change with what the upper layer holds there: its stat (null for a deletion) and, for a
     * regular file, whether it starts with the ELF magic ({@code 0x7f 'E' 'L' 'F'}).
     */
    public record Detailed(Change change, Dir.Stat stat, boolean elf) {}

    /** As {@link #diff}, each change with the upper layer's stat and ELF check (for drift reports). */
    public List<Detailed> diffDetailed(String containerId) { return walkDiff(containerId, true); }

    private static boolean elfMagic(Dir dir, byte[] name) {
        byte[] b = new byte[4];
        try (java.io.InputStream in = dir.openFile(name)) {
            int n = 0, r;
            while (n < 4 && (r = in.read(b, n, 4 - n)) > 0) n += r;
            return n == 4 && b[0] == 0x7f && b[1] == 'E' && b[2] == 'L' && b[3] == 'F';
        } catch (IOException e) {
            return false;   // gone meanwhile or unreadable: not called out as ELF
        }
    }

    private List<Detailed> walkDiff(String containerId, boolean detail) {
        ContainerInfo ci = info(containerId);
        Path upper = cdir(containerId).resolve("upper");
        List<Path> lowers = new ArrayList<>();
        Path init = cdir(containerId).resolve(INIT);
        if (Files.isDirectory(init, LinkOption.NOFOLLOW_LINKS)) lowers.add(init);
        for (int i = ci.chain().size() - 1; i >= 0; i--) lowers.add(snapshots.fs(Digest.parse(ci.chain().get(i))));
        List<Detailed> out = new ArrayList<>();
        // the upper layer walked and the lowers followed beside it, descriptor-relative: any depth
        try (MergedLowers merged = new MergedLowers(lowers)) {
            Dir.walk(upper, new Dir.Visitor() {
                @Override public boolean visit(Dir.Entry e) throws IOException {
                    String r = "/" + e.path();
                    Dir.Stat s = e.stat();
                    if (s.isWhiteout()) { out.add(new Detailed(new Change(Change.Kind.D, r), null, false)); return false; }
                    boolean inLower = merged.lookup(e.raw()) != null;
                    out.add(new Detailed(new Change(inLower ? Change.Kind.C : Change.Kind.A, r), detail ? s : null,
                            detail && s.isFile() && elfMagic(e.dir(), e.raw())));
                    if (!s.isDir()) return false;
                    boolean opaque = inLower && e.dir().opaque(e.raw());
                    merged.enter(e.raw());
                    if (opaque) {
                        // everything below in the lowers is gone unless made again in upper
                        try (Dir u = e.dir().child(e.raw())) {
                            if (u != null)
                                for (byte[] gone : merged.names())
                                    if (u.lstat(gone) == null) out.add(new Detailed(new Change(Change.Kind.D, r + "/" + Dir.show(gone)), null, false));
                        }
                    }
                    return true;
                }
                @Override public void leave(Dir.Entry dir) throws IOException { merged.leave(); }
            });
        } catch (IOException e) {
            throw new ImageException.Store("cannot diff " + containerId + ": " + e.getMessage(), e);
        }
        out.sort((x, y) -> x.change().path().compareTo(y.change().path()));
        return out;
    }

    /** Whether {@code rel} (starting with /) exists in the merged lower layers (top first). */
    static boolean lowerExists(List<Path> lowers, String rel) throws IOException { return lowerPath(lowers, rel) != null; }

    /**
     * Where {@code rel} (starting with /) is in the merged lower layers (top first), as overlayfs
     * merges them, or null. Each layer is walked a component at a time with lstat: a whiteout or a
     * non-directory on the way hides what lower layers have there, an opaque directory ends the
     * search at its layer, and no symlink inside a layer is ever followed.
     */
    static Path lowerPath(List<Path> lowers, String rel) throws IOException {
        String[] parts = rel.substring(1).split("/");
        for (Path lower : lowers) {
            Path p = lower;
            for (int i = 0; i < parts.length; i++) {
                p = p.resolve(parts[i]);
                BasicFileAttributes a = lstat(p);
                if (a == null) { p = null; break; }                       // not in this layer: look below
                if (a.isOther() && isWhiteout(p)) return null;            // deleted here
                if (i == parts.length - 1) return p;
                if (!a.isDirectory()) return null;                       // a file here hides the path below
                if (isOpaque(p)) {                                        // lowers below do not contribute under p
                    Path rest = p;
                    for (int j = i + 1; j < parts.length; j++) {
                        rest = rest.resolve(parts[j]);
                        BasicFileAttributes b = lstat(rest);
                        if (b == null || (b.isOther() && isWhiteout(rest))) return null;
                        if (j < parts.length - 1 && !b.isDirectory()) return null;
                    }
                    return rest;
                }
            }
        }
        return null;
    }

    private static BasicFileAttributes lstat(Path p) throws IOException {
        try { return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS); }
        catch (java.nio.file.NoSuchFileException e) { return null; }
    }

    private static boolean isWhiteout(Path p) throws IOException {
        Map<String, Object> a = Files.readAttributes(p, "unix:mode,rdev", LinkOption.NOFOLLOW_LINKS);
        return ((Integer) a.get("mode") & 0170000) == 0020000 && (Long) a.get("rdev") == 0L;
    }

    private static boolean isOpaque(Path p) throws IOException {
        byte[] o = Libc.lgetxattr(p, "trusted.overlay.opaque");
        return o != null && o.length == 1 && o[0] == 'y';
    }

    /** Turns the container's upper dir into a new layer on top of its image, named {@code newRef}. */
    public Descriptor commit(String containerId, ImageReference newRef) { return commit(containerId, newRef, ConfigChanges.NONE); }

    /** As {@link #commit(String, ImageReference)}, with {@code changes} applied to the new image's config. */
    public Descriptor commit(String containerId, ImageReference newRef, ConfigChanges changes) {
        return commit(containerId, newRef, cfg -> {
            if (!changes.isEmpty()) changes.applyTo(cfg.withObjectProperty("config"));
        }, "berth commit " + containerId, null);
    }

    /**
     * As {@link #commit(String, ImageReference)}: {@code edit} changes the new image's whole config
     * (its {@code config}, {@code author}…) before it is written; the new layer's history entry says
     * {@code createdBy} and {@code comment} (null: none). {@code newRef} null: an untagged image.
     */
    public Descriptor commit(String containerId, ImageReference newRef, java.util.function.Consumer<ObjectNode> edit,
                             String createdBy, String comment) {
        ContainerInfo ci = info(containerId);
        Descriptor base = new Descriptor(null, ci.manifest(), 0, null, null, null);
        Manifest m = store.manifest(new Descriptor(dev.berth.image.api.MediaTypes.OCI_MANIFEST, ci.manifest(), 0, null, null, null));
        ObjectNode cfg = store.config(m).deepCopy();
        edit.accept(cfg);
        Provenance bp = store.provenance(base.digestValue());
        try (Store.Adding ignored = store.adding()) {
            LayerBlobs.Layer layer = LayerBlobs.fromDirectory(store, cdir(containerId).resolve("upper"), true);
            Provenance.Layer pl = Provenance.Layer.local("commit", layer.descriptor().digest(), layer.diffId().toString(),
                    "container " + containerId + " of " + ci.image());
            return ImageWriter.write(store, cfg, m.layers(), bp == null ? List.of() : bp.layers(), List.of(layer), List.of(pl),
                    createdBy, comment, Platform.DEFAULT, newRef);
        }
    }
}
