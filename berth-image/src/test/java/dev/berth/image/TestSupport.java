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
}
