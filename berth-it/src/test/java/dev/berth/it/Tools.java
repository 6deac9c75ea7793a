package dev.berth.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/** Where the repository, the runtime under test and the external tools are. */
final class Tools {
    private Tools() {}

    /** PATH plus the sbin directories, where runc lives on Debian. */
    static String searchPath() {
        Set<String> dirs = new LinkedHashSet<>();
        String path = System.getenv("PATH");
        if (path != null) {
            for (String d : path.split(":")) if (!d.isEmpty()) dirs.add(d);
        }
        for (String d : new String[] {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"}) {
            dirs.add(d);
        }
        return String.join(":", dirs);
    }

    /** The absolute path of {@code tool}, or an assertion failure naming it. Never a skip. */
    static Path require(String tool) {
        for (String d : searchPath().split(":")) {
            Path p = Path.of(d, tool);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) return p;
        }
        throw new AssertionError("required tool '" + tool + "' not found on " + searchPath()
                + ": install it (apt-get install; .ci/run installs what the integration tests need)");
    }

    static void requireRoot() {
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new AssertionError("integration tests need root (real namespaces, mounts, cgroups); running as "
                    + System.getProperty("user.name"));
        }
    }

    /** The repository root: -Dberth.repo (set by the pom), else the first parent with mvnw and scripts/. */
    static Path repo() {
        String prop = System.getProperty("berth.repo");
        if (prop != null && !prop.isBlank() && Files.isRegularFile(Path.of(prop, "scripts", "mk-rootfs.sh"))) {
            return Path.of(prop).toAbsolutePath().normalize();
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("mvnw")) && Files.isRegularFile(p.resolve("scripts/mk-rootfs.sh"))) {
                return p;
            }
        }
        throw new AssertionError("cannot find the berth repository root from " + Path.of("").toAbsolutePath());
    }

    static Path script(String name) {
        return repo().resolve("scripts").resolve(name);
    }

    /**
     * The OCI runtime under test: -Dberth.runtime, default {@code <repo>/bin/berth-runc}. Fails
     * with a message if it is missing or, for berth-runc, not built.
     */
    static Path runtime() {
        String prop = System.getProperty("berth.runtime");
        Path rt = prop == null || prop.isBlank() ? repo().resolve("bin/berth-runc") : Path.of(prop);
        rt = rt.toAbsolutePath().normalize();
        if (!Files.isExecutable(rt)) {
            throw new AssertionError("runtime under test " + rt + " is not an executable (-Dberth.runtime=...)");
        }
        if (rt.equals(repo().resolve("bin/berth-runc")) && !Files.isReadable(repo().resolve("berth-cli/target/berth.conf"))) {
            throw new AssertionError("bin/berth-runc is not built (no berth-cli/target/berth.conf): run ./mvnw -B verify from the root");
        }
        return rt;
    }
}
