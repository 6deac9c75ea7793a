package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Test driver: runs the real bin/berth-runc (as a user or containerd would) against bundles built
 * from busybox-static, each test with its own state root and its own default cgroup parent
 * ({@code BERTH_CGROUP_PARENT}), so that nothing else on the machine (a user's containers, another
 * test run, a berthd) changes what a test sees; {@link #close} deletes every container it made and
 * checks that nothing is left (state, cgroup, the parent).
 */
final class Runc implements AutoCloseable {
  static final Path REPO = Path.of(System.getProperty("maven.multiModuleProjectDirectory",
      Path.of("").toAbsolutePath().getParent().toString()));
  static final Path BIN = REPO.resolve("bin/berth-runc");
  static final ObjectMapper JSON = new ObjectMapper();

  final Path tmp;
  final Path root;
  /** This test's default cgroup parent: containers without cgroupsPath go to /<parent>/<id>. */
  final String cgroupParent;
  final List<String> ids = new ArrayList<>();

  record Result(int code, String out, String err) {
    Result ok() {
      assertThat(code).as("exit code; stderr: %s", err).isZero();
      return this;
    }
  }

  Runc() throws IOException {
    tmp = Files.createTempDirectory("berth-test-");
    // Mapped users of a user namespace must be able to reach the bundles.
    Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    root = tmp.resolve("state");
    cgroupParent = "berth-test-" + tmp.getFileName().toString().substring("berth-test-".length());
  }

  /** A bundle whose config is the default config with terminal off, edited by {@code edit}. */
  Path bundle(String name, Consumer<ObjectNode> edit, String... args) throws Exception {
    Path b = tmp.resolve(name);
    Path rootfs = b.resolve("rootfs");
    Files.createDirectories(rootfs);
    Process p = new ProcessBuilder("sh", REPO.resolve("scripts/mk-rootfs.sh").toString(), rootfs.toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as("mk-rootfs: %s", out).isZero();
    ObjectNode cfg = (ObjectNode) JSON.readTree(dev.berth.spec.Spec.class.getResourceAsStream("default-config.json"));
    ObjectNode proc = (ObjectNode) cfg.get("process");
    proc.put("terminal", false);
    ArrayNode a = proc.putArray("args");
    for (String s : args) a.add(s);
    edit.accept(cfg);
    Files.writeString(b.resolve("config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(cfg));
    return b;
  }

  Result run(String... args) throws Exception {
    return exec(120, args); // generous: under a loaded CI machine a JVM start alone can take seconds
  }

  Result exec(int timeoutSec, String... args) throws Exception {
    return exec(java.util.Map.of(), timeoutSec, args);
  }

  Result exec(java.util.Map<String, String> env, int timeoutSec, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(BIN.toString(), "--root", root.toString()));
    cmd.addAll(List.of(args));
    for (int i = 0; i < args.length; i++) {
      if (List.of("run", "create").contains(args[i]) && i + 1 < args.length) ids.add(args[args.length - 1]);
    }
    Path out = Files.createTempFile(tmp, "out", ".txt");
    Path err = Files.createTempFile(tmp, "err", ".txt");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().put("BERTH_CGROUP_PARENT", cgroupParent);
    pb.environment().putAll(env);
    Process p = pb.start();
    if (!p.waitFor(timeoutSec, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("timed out: " + cmd);
    }
    return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
  }

  JsonNode state(String id) throws Exception {
    return JSON.readTree(run("state", id).ok().out());
  }

  /** Container output of a foreground run, asserting success. */
  String output(Path bundle, String id) throws Exception {
    return run("run", "--bundle", bundle.toString(), id).ok().out();
  }

  /** The container's cgroup directory in the hierarchy mounted at /sys/fs/cgroup/{@code hierarchy}. */
  Path cgroup(String hierarchy, String id) {
    return Path.of("/sys/fs/cgroup", hierarchy, cgroupParent, id);
  }

  /** This test's default cgroup parent in every hierarchy where it exists. */
  List<Path> parentDirs() throws IOException {
    List<Path> found = new ArrayList<>();
    try (var ds = Files.newDirectoryStream(Path.of("/sys/fs/cgroup"))) {
      for (Path h : ds) {
        Path d = h.resolve(cgroupParent);
        if (Files.isDirectory(d)) found.add(d);
      }
    }
    return found;
  }

  List<Path> cgroupDirs(String id) throws IOException {
    List<Path> found = new ArrayList<>();
    for (Path p : parentDirs()) {
      if (Files.isDirectory(p.resolve(id))) found.add(p.resolve(id));
    }
    return found;
  }

  /** Nothing of this container is left: no state directory, no cgroup in any hierarchy. */
  void assertGone(String id) throws IOException {
    assertThat(root.resolve(id)).doesNotExist();
    assertThat(cgroupDirs(id)).as("cgroup dirs of %s", id).isEmpty();
  }

  @Override
  public void close() throws Exception {
    for (String id : ids) {
      if (Files.exists(root.resolve(id))) exec(30, "delete", "--force", id);
    }
    for (String id : ids) assertGone(id);
    assertThat(parentDirs()).as("the test's cgroup parent goes with its last container").isEmpty();
    try (var w = Files.walk(tmp)) {
      for (Path p : w.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }
}
