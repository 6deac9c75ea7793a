package dev.berth.it;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A temporary directory under /tmp (short paths: unix sockets live here) that is left with no
 * trace: {@link #close()} kills the processes whose command line names it (daemons, shims, conmon),
 * lazily unmounts everything below it and deletes it, and fails if it cannot.
 */
final class Scratch implements AutoCloseable {
    private final Path dir;

    private Scratch(Path dir) {
        this.dir = dir;
    }

    static Scratch create(String name) {
        try {
            return new Scratch(Files.createTempDirectory(Path.of("/tmp"), "bit-" + name + "-").toRealPath());
        } catch (IOException e) {
            throw new AssertionError("cannot create a temp dir: " + e.getMessage(), e);
        }
    }

    Path dir() {
        return dir;
    }

    Path path(String first, String... more) {
        return dir.resolve(Path.of(first, more));
    }

    /** mkdir -p of a path below this directory. */
    Path mkdirs(String first, String... more) {
        Path p = path(first, more);
        try {
            return Files.createDirectories(p);
        } catch (IOException e) {
            throw new AssertionError("cannot create " + p + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        killProcessesNaming(dir.toString());
        unmountBelow(dir);
        try {
            deleteTree(dir);
        } catch (IOException e) {
            throw new AssertionError("cannot remove " + dir + ": " + e, e);
        }
    }

    /** SIGKILL to every process (not this JVM) whose command line contains {@code needle}. */
    static void killProcessesNaming(String needle) {
        long self = ProcessHandle.current().pid();
        List<ProcessHandle> victims = new ArrayList<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path p : procs) {
                long pid = Long.parseLong(p.getFileName().toString());
                if (pid == self) continue;
                String cmdline;
                try {
                    cmdline = new String(Files.readAllBytes(p.resolve("cmdline"))).replace('\0', ' ');
                } catch (IOException gone) {
                    continue;
                }
                if (cmdline.contains(needle)) ProcessHandle.of(pid).ifPresent(victims::add);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot list /proc: " + e, e);
        }
        victims.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle h : victims) {
            try {
                h.onExit().get(5, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // a zombie whose parent is not us: it holds no mount or file
            }
        }
    }

    /** umount -l of every mount point at or below {@code dir}, deepest first. */
    static void unmountBelow(Path dir) {
        List<String> targets = mountsBelow(dir);
        targets.sort(Comparator.comparingInt(String::length).reversed());
        for (String t : targets) {
            Cmd.run(Duration.ofSeconds(20), "umount", "-l", t);
        }
        List<String> left = mountsBelow(dir);
        if (!left.isEmpty()) throw new AssertionError("mounts left below " + dir + ": " + left);
    }

    static List<String> mountsBelow(Path dir) {
        String prefix = dir.toString();
        List<String> found = new ArrayList<>();
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/mountinfo"))) {
            lines.forEach(line -> {
                String mp = unescape(line.split(" ")[4]);
                if (mp.equals(prefix) || mp.startsWith(prefix + "/")) found.add(mp);
            });
        } catch (IOException e) {
            throw new AssertionError("cannot read /proc/self/mountinfo: " + e, e);
        }
        return found;
    }

    private static String unescape(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
