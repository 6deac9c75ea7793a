package dev.berth.image.snapshot;

import dev.berth.image.tar.Dir;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * The image's lower layers (top first) as overlayfs merges them, followed one directory at a time
 * beside a walk of the upper layer ({@link #enter}, {@link #leave}), descriptor-relative: any
 * depth. At each directory the layers that contribute to it are kept in order: a layer
 * contributes when the directory is a directory there; a whiteout or a non-directory in a layer
 * hides it in the layers below, and an opaque directory ends the list at its layer (as
 * {@link Snapshotter#lowerPath} decides for one path). Descriptors: the deepest directory's
 * contributors are open; an ancestor's stays open only for a layer that stopped contributing
 * below it (the others are reopened by {@code ..} on the way back up), so at most one per layer
 * is open whatever the depth.
 */
final class MergedLowers implements AutoCloseable {
    private static final class Level {
        final List<Dir> dirs = new ArrayList<>();   // null when closed (reopened from the child by ..)
        final List<Integer> layers = new ArrayList<>();
        final List<long[]> ids = new ArrayList<>();   // dev, ino
    }

    private final ArrayDeque<Level> stack = new ArrayDeque<>();

    MergedLowers(List<Path> lowers) throws IOException {
        Level root = new Level();
        stack.push(root);
        for (int i = 0; i < lowers.size(); i++) {
            if (!Files.isDirectory(lowers.get(i), LinkOption.NOFOLLOW_LINKS)) continue;
            Dir d = Dir.open(lowers.get(i));
            Dir.Stat s = d.stat();
            root.dirs.add(d);
            root.layers.add(i);
            root.ids.add(new long[]{s.dev(), s.ino()});
        }
    }

    /** What the merged lower directory (the current one) has as {@code name}: its stat, or null (absent or whited out). */
    Dir.Stat lookup(byte[] name) throws IOException {
        Level l = stack.peek();
        for (Dir d : l.dirs) {
            Dir.Stat s = d.lstat(name);
            if (s == null) continue;
            return s.isWhiteout() ? null : s;
        }
        return null;
    }

    /** Makes {@code name} of the current directory the current one (it may be absent from every layer). */
    void enter(byte[] name) throws IOException {
        Level l = stack.peek();
        Level c = new Level();
        stack.push(c);   // first: leave() closes what was opened, even on failure
        for (int k = 0; k < l.dirs.size(); k++) {
            Dir d = l.dirs.get(k);
            Dir.Stat s = d.lstat(name);
            if (s == null) continue;
            if (!s.isDir()) break;   // a whiteout or a file hides the layers below
            Dir child = d.child(name);
            if (child == null) break;
            c.dirs.add(child);
            c.layers.add(l.layers.get(k));
            c.ids.add(new long[]{s.dev(), s.ino()});
            if (d.opaque(name)) break;
        }
        for (int k = 0; k < l.dirs.size(); k++) {
            if (c.layers.contains(l.layers.get(k))) {
                l.dirs.get(k).close();
                l.dirs.set(k, null);
            }
        }
    }

    /** Back to the parent of the current directory. */
    void leave() throws IOException {
        Level c = stack.pop();
        Level l = stack.peek();
        try {
            for (int k = 0; k < l.dirs.size(); k++) {
                if (l.dirs.get(k) != null) continue;
                int j = c.layers.indexOf(l.layers.get(k));
                long[] id = l.ids.get(k);
                l.dirs.set(k, c.dirs.get(j).parentOf(id[0], id[1]));
            }
        } finally {
            for (Dir d : c.dirs) if (d != null) d.close();
        }
    }

    /** The names the merged current directory has (first seen first; whiteouts and hidden names left out). */
    List<byte[]> names() throws IOException {
        LinkedHashMap<String, byte[]> out = new LinkedHashMap<>();
        for (Dir d : stack.peek().dirs) {
            for (byte[] n : d.names()) {
                String k = new String(n, java.nio.charset.StandardCharsets.ISO_8859_1);
                if (!out.containsKey(k) && lookup(n) != null) out.put(k, n);
            }
        }
        return new ArrayList<>(out.values());
    }

    @Override public void close() {
        for (Level l : stack) for (Dir d : l.dirs) if (d != null) d.close();
        stack.clear();
    }
}
