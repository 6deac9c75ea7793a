package dev.berth.image.snapshot;

import dev.berth.image.api.Digest;
import dev.berth.image.tar.Libc;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

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
        walk(root, "", sha, buf);
        return Digest.sha256(sha.digest());
    }

    private static void walk(Path dir, String rel, MessageDigest sha, byte[] buf) throws IOException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) names.add(p.getFileName().toString());
        }
        Collections.sort(names);
        for (String n : names) {
            Path p = dir.resolve(n);
            String r = rel.isEmpty() ? n : rel + "/" + n;
            Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,size,rdev", LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) a.get("mode");
            int type = mode & 0170000;
            StringBuilder line = new StringBuilder(r).append('\0').append(Integer.toOctalString(mode)).append(' ')
                    .append(a.get("uid")).append(' ').append(a.get("gid"));
            if (type == 0100000) line.append(' ').append(a.get("size"));
            if (type == 0120000) line.append(" -> ").append(Files.readSymbolicLink(p));
            if (type == 0020000 || type == 0060000) line.append(" dev ").append(a.get("rdev"));
            if (type == 0040000) {
                byte[] o = Libc.lgetxattr(p, "trusted.overlay.opaque");
                if (o != null) line.append(" opaque");
            }
            sha.update(line.append('\n').toString().getBytes(StandardCharsets.UTF_8));
            if (type == 0100000) {
                try (InputStream in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS)) {
                    int k;
                    while ((k = in.read(buf)) > 0) sha.update(buf, 0, k);
                }
            } else if (type == 0040000) {
                walk(p, r, sha, buf);
            }
        }
    }
}
