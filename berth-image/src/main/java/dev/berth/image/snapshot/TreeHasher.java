package dev.berth.image.snapshot;

import dev.berth.image.api.Digest;
import dev.berth.image.tar.Dir;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;

/**
 * A digest of an unpacked tree (names, types, modes, owners, sizes, link targets, device numbers,
 * the overlay opaque flag and file contents; not timestamps), recorded at unpack and recomputed by
 * {@code verify} to detect snapshots changed behind berth's back.
 */
public final class TreeHasher {
    private TreeHasher() {}

    public static Digest hash(Path root) throws IOException {
        MessageDigest sha = Digest.newSha256();
        byte[] buf = new byte[1 << 17];
        // sorted, depth first, descriptor-relative: any depth (see Dir.walk)
        Dir.walk(root, e -> {
            Dir.Stat a = e.stat();
            int mode = a.mode();
            int type = mode & 0170000;
            StringBuilder line = new StringBuilder(e.path()).append('\0').append(Integer.toOctalString(mode)).append(' ')
                    .append(a.uid()).append(' ').append(a.gid());
            if (type == 0100000) line.append(' ').append(a.size());
            if (type == 0120000) line.append(" -> ").append(asJavaPath(e.dir().readlink(e.raw())));
            if (type == 0020000 || type == 0060000) line.append(" dev ").append(a.rdev());
            if (type == 0040000 && e.dir().lgetxattr(e.raw(), "trusted.overlay.opaque") != null) line.append(" opaque");
            sha.update(line.append('\n').toString().getBytes(StandardCharsets.UTF_8));
            if (type == 0100000) {
                try (InputStream in = e.dir().openFile(e.raw())) {
                    int k;
                    while ((k = in.read(buf)) > 0) sha.update(buf, 0, k);
                }
            }
            return type == 0040000;
        });
        return Digest.sha256(sha.digest());
    }

    /**
     * A symlink target as java.nio's Path prints it (repeated slashes as one, no trailing slash):
     * the form tree digests recorded before this walker hashed.
     */
    static String asJavaPath(String target) {
        if (target == null) return "null";
        String t = target.replaceAll("/{2,}", "/");
        return t.length() > 1 && t.endsWith("/") ? t.substring(0, t.length() - 1) : t;
    }
}
