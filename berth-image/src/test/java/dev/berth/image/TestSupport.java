package dev.berth.image;

import dev.berth.image.store.Store;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/** Shared helpers: a busybox rootfs, crafted tars, running tools (failing with the tool's name when absent). */
public final class TestSupport {
    private TestSupport() {}

    /** A minimal busybox-static root filesystem (needs Debian's busybox-static: /bin/busybox). */
    public static Path busyboxRootfs(Path dir) throws IOException {
        Path bb = Path.of("/bin/busybox");
        if (!Files.isRegularFile(bb)) throw new AssertionError("needs /bin/busybox: apt-get install busybox-static");
        Files.createDirectories(dir.resolve("bin"));
        Files.createDirectories(dir.resolve("etc"));
        Files.createDirectories(dir.resolve("tmp"));
        Files.copy(bb, dir.resolve("bin/busybox"), StandardCopyOption.REPLACE_EXISTING);
        for (String c : new String[]{"sh", "ls", "cat", "echo", "true"})
            Files.createSymbolicLink(dir.resolve("bin").resolve(c), Path.of("busybox"));
        Files.writeString(dir.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
        Files.writeString(dir.resolve("etc/hostname"), "berth\n");
        Files.setPosixFilePermissions(dir.resolve("tmp"), PosixFilePermissions.fromString("rwxrwxrwx"));
        return dir;
    }

    /** Builds a tar in memory. */
    public static final class Tar {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final TarArchiveOutputStream out;
        public Tar() {
            out = new TarArchiveOutputStream(bytes);
            out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            out.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        }
        public Tar dir(String name) throws IOException {
            TarArchiveEntry e = new TarArchiveEntry(name.endsWith("/") ? name : name + "/");
            e.setMode(040755);
            return put(e, null);
        }
        public Tar file(String name, String content) throws IOException {
            byte[] b = content.getBytes(StandardCharsets.UTF_8);
            TarArchiveEntry e = new TarArchiveEntry(name, true);
            e.setSize(b.length);
            e.setMode(0100644);
            return put(e, b);
        }
        public Tar symlink(String name, String target) throws IOException {
            TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
            e.setLinkName(target);
            return put(e, null);
        }
        public Tar hardlink(String name, String target) throws IOException {
            TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_LINK, true);
            e.setLinkName(target);
            return put(e, null);
        }
        public Tar device(String name, byte flag, int major, int minor) throws IOException {
            TarArchiveEntry e = new TarArchiveEntry(name, flag);
            e.setDevMajor(major);
            e.setDevMinor(minor);
            e.setMode(0020666);
            return put(e, null);
        }
        public Tar entry(TarArchiveEntry e, byte[] content) throws IOException { return put(e, content); }
        private Tar put(TarArchiveEntry e, byte[] content) throws IOException {
            out.putArchiveEntry(e);
            if (content != null) out.write(content);
            out.closeArchiveEntry();
            return this;
        }
        public byte[] bytes() throws IOException { out.finish(); out.close(); return bytes.toByteArray(); }
    }

    /** Runs a command, returns stdout+stderr; fails naming the tool when it is not installed. */
    public static String run(Path cwd, String... cmd) throws IOException, InterruptedException {
        requireTool(cmd[0]);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        if (cwd != null) pb.directory(cwd.toFile());
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) { p.destroyForcibly(); throw new AssertionError(String.join(" ", cmd) + " timed out"); }
        String s = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) throw new AssertionError(String.join(" ", cmd) + " exited " + p.exitValue() + ":\n" + s);
        return s;
    }

    public static void requireTool(String tool) {
        if (tool.contains("/")) { if (Files.isExecutable(Path.of(tool))) return; }
        else for (String dir : System.getenv("PATH").split(":")) if (Files.isExecutable(Path.of(dir, tool))) return;
        String pkg = switch (tool) {
            case "skopeo" -> "skopeo"; case "umoci" -> "umoci"; case "htpasswd" -> "apache2-utils";
            case "docker-registry", "/usr/bin/docker-registry" -> "docker-registry"; case "openssl" -> "openssl";
            default -> tool;
        };
        throw new AssertionError("test needs " + tool + ": apt-get install -y " + pkg);
    }

    public static void deleteQuietly(Path p) {
        try { Store.deleteTree(p); } catch (IOException ignored) {}
    }

    static void addEntry(Tar t, String name, byte[] b) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(b.length);
        t.entry(e, b);
    }

    /** An OCI archive whose index holds an image index with two platforms. */
    public static byte[] multiPlatformOciArchive(boolean dropBlob, String layerMediaType) throws Exception {
        Tar t = new Tar();
        StringBuilder idx = new StringBuilder();
        String[][] plats = {{"amd64", "AMD"}, {"arm64", "ARM"}};
        java.util.List<dev.berth.image.api.Descriptor> manifests = new java.util.ArrayList<>();
        for (String[] p : plats) {
            byte[] layer = new Tar().file("arch", p[1]).bytes();
            dev.berth.image.api.Digest ld = dev.berth.image.api.Digest.of(layer);
            byte[] cfg = ("{\"architecture\":\"" + p[0] + "\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + ld + "\"]}}").getBytes(StandardCharsets.UTF_8);
            dev.berth.image.api.Digest cd = dev.berth.image.api.Digest.of(cfg);
            byte[] man = ("{\"schemaVersion\":2,\"mediaType\":\"" + dev.berth.image.api.MediaTypes.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\"" + dev.berth.image.api.MediaTypes.OCI_CONFIG
                    + "\",\"digest\":\"" + cd + "\",\"size\":" + cfg.length + "},\"layers\":[{\"mediaType\":\"" + layerMediaType + "\",\"digest\":\"" + ld + "\",\"size\":" + layer.length + "}]}").getBytes(StandardCharsets.UTF_8);
            dev.berth.image.api.Digest md = dev.berth.image.api.Digest.of(man);
            if (!(dropBlob && p[0].equals("amd64"))) addEntry(t, "blobs/sha256/" + ld.hex(), layer);
            addEntry(t, "blobs/sha256/" + cd.hex(), cfg);
            addEntry(t, "blobs/sha256/" + md.hex(), man);
            manifests.add(new dev.berth.image.api.Descriptor(dev.berth.image.api.MediaTypes.OCI_MANIFEST, md.toString(), man.length, null,
                    new dev.berth.image.api.Descriptor.DescriptorPlatform(p[0], "linux", null, null), null));
        }
        byte[] index = dev.berth.image.api.Json.write(new dev.berth.image.api.Index(2, dev.berth.image.api.MediaTypes.OCI_INDEX, manifests, null));
        dev.berth.image.api.Digest id = dev.berth.image.api.Digest.of(index);
        addEntry(t, "blobs/sha256/" + id.hex(), index);
        addEntry(t, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8));
        addEntry(t, "index.json", dev.berth.image.api.Json.write(new dev.berth.image.api.Index(2, dev.berth.image.api.MediaTypes.OCI_INDEX, java.util.List.of(new dev.berth.image.api.Descriptor(dev.berth.image.api.MediaTypes.OCI_INDEX, id.toString(), index.length,
                java.util.Map.of("org.opencontainers.image.ref.name", "1.0"), null, null)), null)));
        return t.bytes();
    }

}
