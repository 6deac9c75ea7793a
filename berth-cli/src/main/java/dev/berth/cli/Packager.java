package dev.berth.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Build step (berth-cli package phase, run with the toolchain's JDK 25): writes target/berth.conf,
 * which bin/berth-runc and bin/berth source (java, classpath, launcher, JVM options), then trains
 * the JDK's AOT cache (JEP 483/514/515) with {@link AotTraining} so start-up loads classes
 * pre-parsed and pre-linked.
 */
public final class Packager {
  /** Options shared by training and every run: an AOT cache is only used under the same GC and flags. */
  static final String JVM_OPTS = "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData -Xss512k "
      + "-XX:CICompilerCount=1 --enable-native-access=ALL-UNNAMED "
      // The JVM's own warnings (e.g. a stale AOT cache) must never reach stdout: under containerd
      // and podman that is the container's output.
      + "-Xlog:disable -Xlog:all=warning:stderr";

  /**
   * bin/berth's: C1 only. The bulk work of image commands is native (SHA-256 by libcrypto, zlib,
   * zstd, the extractor's *at calls), so C2 would only add its compile CPU, which a pull on two
   * cores feels (~1.5 s of 4); a separate cache, trained on the image commands, pull included.
   */
  static final String IMAGE_JVM_OPTS = "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData -XX:CICompilerCount=2 "
      + "--enable-native-access=ALL-UNNAMED -Xlog:disable -Xlog:all=warning:stderr";

  private Packager() {}

  public static void main(String[] args) throws Exception {
    Path target = Path.of(args[0]).toAbsolutePath();
    Path launcher = Path.of(args[1]).toAbsolutePath().normalize();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> jars = new ArrayList<>();
    jars.add(target.resolve("berth-cli.jar").toString());
    try (Stream<Path> lib = Files.list(target.resolve("lib"))) {
      lib.filter(p -> p.toString().endsWith(".jar")).sorted().forEach(p -> jars.add(p.toString()));
    }
    String cp = String.join(":", jars);
    // berth-runc: the start path (AotTraining). bin/berth: its own cache trained on the image
    // commands (ImageTraining), pull from an in-process registry included.
    String opts = train(java, JVM_OPTS, cp, launcher, target, "berth.aot", "dev.berth.cli.AotTraining", "aot-training");
    String imageOpts = train(java, IMAGE_JVM_OPTS, cp, launcher, target, "berth-image.aot",
        "dev.berth.cli.berth.ImageTraining", "aot-image-training");
    String conf = "# written by the build (dev.berth.cli.Packager); sourced by bin/berth-runc and bin/berth\n"
        + "BERTH_JAVA='" + java + "'\n"
        + "BERTH_CP='" + cp + "'\n"
        + "BERTH_LAUNCHER='" + launcher + "'\n"
        + "BERTH_JVM_OPTS='" + opts + "'\n"
        + "BERTH_IMAGE_JVM_OPTS='" + imageOpts + "'\n";
    Files.writeString(target.resolve("berth.conf"), conf);
    System.out.println("berth: wrote " + target.resolve("berth.conf"));
  }

  /**
   * One training run writing an AOT cache with the flags the commands will run with; returns those
   * flags, with the cache if training succeeded (a build without root still works, uncached).
   */
  private static String train(String java, String jvmOpts, String cp, Path launcher, Path target, String cacheName,
      String mainClass, String workDir) throws IOException, InterruptedException {
    Path cache = target.resolve(cacheName);
    Files.deleteIfExists(cache);
    List<String> cmd = new ArrayList<>(List.of(java));
    cmd.addAll(List.of(jvmOpts.split(" ")));
    cmd.addAll(List.of("-Xlog:aot*=error:stderr", "-Xlog:cds*=error:stderr", "-XX:AOTCacheOutput=" + cache,
        "-Dberth.launcher=" + launcher, "-cp", cp, mainClass, target.resolve(workDir).toString()));
    int rc = new ProcessBuilder(cmd).inheritIO().start().waitFor();
    deleteTree(target.resolve(workDir));
    if (rc == 0 && Files.exists(cache)) return jvmOpts + " -XX:AOTCache=" + cache;
    System.err.println("berth: AOT training " + mainClass + " failed (exit " + rc + "); running without " + cacheName);
    return jvmOpts;
  }

  static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) return;
    try (Stream<Path> w = Files.walk(p)) {
      for (Path x : w.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
    }
  }
}
