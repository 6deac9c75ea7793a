package dev.berth.api.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Build step (berth-api package phase, run with the toolchain's JDK 25): writes
 * target/berthd.conf, which bin/berthd sources: the java that built it and the classpath.
 */
public final class ConfWriter {
    private ConfWriter() {}

    public static void main(String[] args) throws IOException {
        Path target = Path.of(args[0]).toAbsolutePath();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> jars = new ArrayList<>();
        jars.add(target.resolve("berth-api.jar").toString());
        try (Stream<Path> lib = Files.list(target.resolve("lib"))) {
            lib.filter(p -> p.toString().endsWith(".jar")).sorted().forEach(p -> jars.add(p.toString()));
        }
        String conf = "# written by the build (dev.berth.api.daemon.ConfWriter); sourced by bin/berthd\n"
                + "BERTHD_JAVA='" + java + "'\n"
                + "BERTHD_CP='" + String.join(":", jars) + "'\n"
                + "BERTHD_LAUNCHER='" + target.resolve("../../berth-native/target/berth-launch").normalize() + "'\n";
        Files.writeString(target.resolve("berthd.conf"), conf);
        System.out.println("berthd: wrote " + target.resolve("berthd.conf"));
    }
}
