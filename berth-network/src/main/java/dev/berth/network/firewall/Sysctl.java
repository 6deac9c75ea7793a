package dev.berth.network.firewall;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** /proc/sys writes, keys in path form ("net/ipv4/ip_forward") (of the calling thread's network namespace), each naming the key on failure. */
final class Sysctl {
    private Sysctl() {
    }

    static String read(String key) {
        try {
            return Files.readString(path(key)).strip();
        } catch (IOException e) {
            throw new UncheckedIOException("sysctl " + key + ": " + e.getMessage(), e);
        }
    }

    /** Writes {@code value} unless the key already has it. */
    static void ensure(String key, String value) {
        Path p = path(key);
        try {
            if (Files.readString(p).strip().equals(value)) {
                return;
            }
            Files.writeString(p, value);
        } catch (NoSuchFileException e) {
            throw new IllegalStateException("sysctl " + key + " does not exist (interface missing?)");
        } catch (IOException e) {
            throw new UncheckedIOException("sysctl " + key + "=" + value + ": " + e.getMessage(), e);
        }
    }

    private static Path path(String key) {
        return Path.of("/proc/sys", key);
    }
}
