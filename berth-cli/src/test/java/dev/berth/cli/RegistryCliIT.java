package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * bin/berth pull/push against the real docker-registry on 127.0.0.1, as a user runs them: a
 * credential helper the test puts on PATH (htpasswd registry), --progress=json parsed as docker
 * clients parse it, chunked push.
 */
class RegistryCliIT {
  static final Path BERTH = Runc.REPO.resolve("bin/berth");
  static final ObjectMapper JSON = new ObjectMapper();
  Path tmp;
  final List<Process> registries = new ArrayList<>();

  record Result(int code, String out, String err) {
    Result ok() {
      assertThat(code).as("exit code; stderr: %s", err).isZero();
      return this;
    }
  }

  @BeforeEach
  void setUp() throws Exception {
    tmp = Files.createTempDirectory("berth-registry-it-");
  }

  @AfterEach
  void tearDown() throws Exception {
    for (Process p : registries) {
      p.destroy();
      if (!p.waitFor(5, TimeUnit.SECONDS)) p.destroyForcibly().waitFor();
    }
    try (var w = Files.walk(tmp)) {
      for (Path p : w.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }

  static void require(String tool, String pkg) {
    for (String dir : System.getenv("PATH").split(":")) if (Files.isExecutable(Path.of(dir, tool))) return;
    throw new AssertionError("test needs " + tool + ": apt-get install -y " + pkg);
  }

  /** docker-registry on a free port of 127.0.0.1, optionally with htpasswd auth; returns host:port. */
  String registry(String name, String htpasswd) throws Exception {
    require("docker-registry", "docker-registry");
    int port;
    try (ServerSocket s = new ServerSocket(0)) { port = s.getLocalPort(); }
    Path dir = Files.createDirectories(tmp.resolve(name));
    StringBuilder y = new StringBuilder("version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n")
        .append("storage:\n  filesystem:\n    rootdirectory: ").append(dir.resolve("storage")).append('\n')
        .append("http:\n  addr: 127.0.0.1:").append(port).append("\n  secret: berth-it\n");
    if (htpasswd != null) y.append("auth:\n  htpasswd:\n    realm: berth-it\n    path: ").append(htpasswd).append('\n');
    Files.writeString(dir.resolve("config.yml"), y);
    Process p = new ProcessBuilder("docker-registry", "serve", dir.resolve("config.yml").toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("registry.log").toFile()).start();
    registries.add(p);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      try (Socket s = new Socket("127.0.0.1", port)) { return "127.0.0.1:" + port; }
      catch (IOException e) {
        if (!p.isAlive() || System.nanoTime() > deadline) throw new AssertionError("docker-registry did not start: " + Files.readString(dir.resolve("registry.log")));
        Thread.sleep(50);
      }
    }
  }

  Result berth(Map<String, String> env, String... args) throws Exception { return berthWithInput(env, null, args); }

  Result berthWithInput(Map<String, String> env, String stdin, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(BERTH.toString()));
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile(tmp, "out", ".txt"), err = Files.createTempFile(tmp, "err", ".txt");
    Path in = Path.of("/dev/null");
    if (stdin != null) Files.writeString(in = Files.createTempFile(tmp, "in", ".txt"), stdin);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(in.toFile()));
    pb.environment().put("DOCKER_CONFIG", tmp.resolve("no-docker-config").toString());
    pb.environment().putAll(env);
    Process p = pb.start();
    if (!p.waitFor(180, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("timed out: " + cmd);
    }
    return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  Result berth(String... args) throws Exception { return berth(Map.of(), args); }

  /** An image busybox:it in store {@code store} (busybox-static rootfs, plus {@code noise} random bytes). */
  String imported(String store, int noise) throws Exception {
    Path rootfs = tmp.resolve("rootfs-" + noise);
    Process p = new ProcessBuilder("sh", Runc.REPO.resolve("scripts/mk-rootfs.sh").toString(), rootfs.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as("mk-rootfs: %s", out).isZero();
    if (noise > 0) {
      byte[] b = new byte[noise];
      new Random(5).nextBytes(b);
      Files.write(rootfs.resolve("noise.bin"), b);
    }
    String root = tmp.resolve(store).toString();
    berth("import", "--root", root, rootfs.toString(), "busybox:it").ok();
    return root;
  }

  static List<JsonNode> json(String out) throws Exception {
    List<JsonNode> l = new ArrayList<>();
    for (String line : out.lines().toList()) l.add(JSON.readTree(line));
    return l;
  }

  /** docker login / logout: credentials checked against the registry, kept in config.json or by a helper. */
  @Test
  void loginChecksAndKeepsCredentialsLogoutRemovesThem() throws Exception {
    require("htpasswd", "apache2-utils");
    Path auth = Files.createDirectories(tmp.resolve("auth"));
    Process h = new ProcessBuilder("htpasswd", "-Bbc", auth.resolve("htpasswd").toString(), "alice", "s3cret").redirectErrorStream(true).start();
    assertThat(h.waitFor()).isZero();
    String reg = registry("reg", auth.resolve("htpasswd").toString());
    String src = imported("src", 0);
    Path docker = tmp.resolve("docker");
    Path config = docker.resolve("config.json");
    Map<String, String> env = Map.of("DOCKER_CONFIG", docker.toString());

    Result wrong = berthWithInput(env, "nope\n", "login", "-u", "alice", "--password-stdin", reg);
    assertThat(wrong.code()).isEqualTo(5);
    assertThat(wrong.err()).startsWith("berth: login to " + reg + " failed").contains("401");
    assertThat(config).doesNotExist();

    Result ok = berthWithInput(env, "s3cret\n", "login", "-u", "alice", "--password-stdin", "http://" + reg + "/");
    ok.ok();
    assertThat(ok.out()).isEqualTo("Login Succeeded\n");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(config))).isEqualTo("rw-------");
    assertThat(JSON.readTree(config.toFile()).at("/auths/" + reg.replace("/", "~1") + "/auth").asText())
        .isEqualTo(java.util.Base64.getEncoder().encodeToString("alice:s3cret".getBytes(StandardCharsets.UTF_8)));
    berth(env, "push", "--root", src, "busybox:it", reg + "/private/busybox:1").ok();   // with what login kept

    assertThat(berth(env, "logout", reg).ok().out()).isEqualTo("Removing login credentials for " + reg + "\n");
    assertThat(JSON.readTree(config.toFile()).path("auths").has(reg)).isFalse();
    Result anon = berth(env, "pull", "--root", tmp.resolve("anon").toString(), reg + "/private/busybox:1");
    assertThat(anon.code()).isEqualTo(5);
    assertThat(anon.err()).contains("authentication required");
    assertThat(berth(env, "logout", reg).ok().out()).isEqualTo("Not logged in to " + reg + "\n");

    // with credsStore, login hands the credentials to the helper (store) and logout asks it to erase
    Path bin = Files.createDirectories(tmp.resolve("bin"));
    Path log = tmp.resolve("helper.log");
    helper(bin, "keeper", "echo \"$1 $(cat)\" >> " + log + "\n");
    Files.writeString(config, "{\"credsStore\": \"keeper\", \"auths\": {}}");
    Map<String, String> env2 = Map.of("DOCKER_CONFIG", docker.toString(), "PATH", bin + ":" + System.getenv("PATH"));
    berthWithInput(env2, "s3cret\n", "login", "-u", "alice", "--password-stdin", reg).ok();
    berth(env2, "logout", reg).ok();
    assertThat(Files.readAllLines(log)).containsExactly(
        "store {\"ServerURL\":\"" + reg + "\",\"Username\":\"alice\",\"Secret\":\"s3cret\"}", "erase " + reg);

    // bad input: no username, both password flags
    assertThat(berth(env, "login", reg).code()).isEqualTo(2);
    assertThat(berthWithInput(env, "x\n", "login", "-u", "a", "-p", "x", "--password-stdin", reg).err())
        .isEqualTo("berth: --password and --password-stdin are mutually exclusive\n");
  }

  @Test
  void credentialHelperOnPathLogsInToAnHtpasswdRegistry() throws Exception {
    require("htpasswd", "apache2-utils");
    Path auth = Files.createDirectories(tmp.resolve("auth"));
    Process h = new ProcessBuilder("htpasswd", "-Bbc", auth.resolve("htpasswd").toString(), "alice", "s3cret").redirectErrorStream(true).start();
    assertThat(h.waitFor()).isZero();
    String reg = registry("reg", auth.resolve("htpasswd").toString());
    String src = imported("src", 0);

    // a helper as docker-credential-helpers are: "get", server URL on stdin, JSON on stdout
    Path bin = Files.createDirectories(tmp.resolve("bin"));
    Path log = tmp.resolve("helper.log");
    helper(bin, "berthtest", "server=$(cat)\necho \"$1 $server\" >> " + log + "\n"
        + "if [ \"$server\" = \"" + reg + "\" ]; then echo '{\"ServerURL\":\"" + reg + "\",\"Username\":\"alice\",\"Secret\":\"s3cret\"}';"
        + " else echo 'credentials not found in native keychain'; exit 1; fi\n");
    helper(bin, "wrongpw", "cat >/dev/null; echo '{\"Username\":\"alice\",\"Secret\":\"nope\"}'\n");
    helper(bin, "locked", "cat >/dev/null; echo 'error getting credentials - keyring is locked'; exit 1\n");
    Path docker = Files.createDirectories(tmp.resolve("docker"));
    Map<String, String> env = new HashMap<>(Map.of("PATH", bin + ":" + System.getenv("PATH"), "DOCKER_CONFIG", docker.toString()));
    String image = reg + "/private/busybox:1";

    Files.writeString(docker.resolve("config.json"), "{\"credsStore\": \"berthtest\"}");
    berth(env, "push", "--root", src, "busybox:it", image).ok();
    assertThat(Files.readString(log)).isEqualTo("get " + reg + "\n");
    String dst = tmp.resolve("dst").toString();
    Result pulled = berth(env, "pull", "--root", dst, image).ok();
    assertThat(pulled.out()).contains("Status: Downloaded newer image for " + image);

    // without the helper's credentials the registry refuses
    Result anon = berth(Map.of("PATH", bin + ":" + System.getenv("PATH")), "pull", "--root", tmp.resolve("anon").toString(), image);
    assertThat(anon.code()).isEqualTo(5);
    assertThat(anon.err()).contains("authentication required");

    // credHelpers for this registry take precedence over credsStore: wrong password, 401
    Files.writeString(docker.resolve("config.json"), "{\"credsStore\": \"berthtest\", \"credHelpers\": {\"" + reg + "\": \"wrongpw\"}}");
    Result wrong = berth(env, "pull", "--root", tmp.resolve("wrong").toString(), image);
    assertThat(wrong.code()).isEqualTo(5);
    assertThat(wrong.err()).contains("401").contains("docker-credential-wrongpw").contains("refused");

    // a failing helper is named, with what it said
    Files.writeString(docker.resolve("config.json"), "{\"credsStore\": \"locked\"}");
    Result locked = berth(env, "pull", "--root", tmp.resolve("locked").toString(), image);
    assertThat(locked.code()).isEqualTo(5);
    assertThat(locked.err()).isEqualTo("berth: credential helper docker-credential-locked (credsStore in " + docker.resolve("config.json")
        + ") failed for " + reg + " (exit 1): error getting credentials - keyring is locked\n");

    // a helper that is not installed is named too
    Files.writeString(docker.resolve("config.json"), "{\"credHelpers\": {\"" + reg + "\": \"absent\"}}");
    Result absent = berth(env, "pull", "--root", tmp.resolve("absent").toString(), image);
    assertThat(absent.code()).isEqualTo(5);
    assertThat(absent.err()).contains("docker-credential-absent (credHelpers in").contains("is not installed: no docker-credential-absent on PATH");

    // a registry that asks for nothing never runs the helper (anonymous pull, broken helper configured)
    String open = registry("open", null);
    berth("push", "--root", src, "busybox:it", open + "/pub/busybox:1").ok();
    Files.writeString(docker.resolve("config.json"), "{\"credsStore\": \"locked\"}");
    berth(env, "pull", "--root", tmp.resolve("open-dst").toString(), open + "/pub/busybox:1").ok();
  }

  static void helper(Path bin, String name, String body) throws IOException {
    Path h = bin.resolve("docker-credential-" + name);
    Files.writeString(h, "#!/bin/sh\n" + body, StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(h, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  @Test
  void progressJsonIsWhatDockerClientsRead() throws Exception {
    String reg = registry("reg", null);
    String src = imported("src", 2 << 20);
    String image = reg + "/json/busybox:1";

    // push in 1 MiB chunks, progress as JSON
    Result push = berth("push", "--root", src, "--progress=json", "--chunk-size", "1m", "busybox:it", image).ok();
    List<JsonNode> pm = json(push.out());
    assertThat(pm.getFirst().get("status").asText()).isEqualTo("The push refers to repository [" + reg + "/json/busybox]");
    assertThat(pm).filteredOn(m -> m.path("status").asText().equals("Pushing"))
        .allMatch(m -> m.get("progressDetail").has("current") && m.get("progressDetail").has("total") && m.has("id"));
    assertThat(pm).extracting(m -> m.path("status").asText()).contains("Preparing", "Pushing", "Pushed");
    JsonNode aux = pm.getLast().get("aux");
    assertThat(pm.get(pm.size() - 2).get("status").asText()).isEqualTo("1: digest: " + aux.get("Digest").asText() + " size: " + aux.get("Size").asLong());
    assertThat(aux.get("Tag").asText()).isEqualTo("1");

    String dst = tmp.resolve("dst").toString();
    Result pull = berth("pull", "--root", dst, "--progress=json", image).ok();
    assertThat(pull.err()).isEmpty();
    List<JsonNode> m = json(pull.out());
    assertThat(m.getFirst().get("status").asText()).isEqualTo("Pulling from json/busybox");
    assertThat(m.getFirst().get("id").asText()).isEqualTo("1");
    assertThat(m).extracting(x -> x.path("status").asText())
        .containsSubsequence("Pulling fs layer", "Downloading", "Download complete", "Extracting", "Pull complete");
    assertThat(m).filteredOn(x -> x.has("id") && !x.get("id").asText().equals("1")).allMatch(x -> x.get("id").asText().matches("[0-9a-f]{12}"));
    assertThat(m.get(m.size() - 2).get("status").asText()).isEqualTo("Digest: " + aux.get("Digest").asText());
    assertThat(m.getLast().get("status").asText()).isEqualTo("Status: Downloaded newer image for " + image);

    List<JsonNode> again = json(berth("pull", "--root", dst, "--progress=json", image).ok().out());
    assertThat(again.getLast().get("status").asText()).isEqualTo("Status: Image is up to date for " + image);
    assertThat(again).filteredOn(x -> x.has("progressDetail")).extracting(x -> x.get("status").asText()).containsOnly("Already exists");

    Result missing = berth("pull", "--root", dst, "--progress=json", reg + "/json/busybox:nosuch");
    assertThat(missing.code()).isEqualTo(5);
    JsonNode err = json(missing.out()).getLast();
    assertThat(err.get("error").asText()).contains("MANIFEST_UNKNOWN");
    assertThat(err.get("errorDetail").get("message").asText()).isEqualTo(err.get("error").asText());
    assertThat(missing.err()).startsWith("berth: ").contains("MANIFEST_UNKNOWN");

    // plain and quiet
    Result plain = berth("pull", "--root", tmp.resolve("plain").toString(), "--progress=plain", image).ok();
    assertThat(plain.out()).startsWith("1: Pulling from json/busybox\n").contains(": Pull complete").endsWith("Status: Downloaded newer image for " + image + "\n" + image + "\n");
    assertThat(berth("pull", "--root", tmp.resolve("plain").toString(), "-q", image).ok().out()).isEqualTo(image + "\n");
    Result bad = berth("pull", "--root", dst, "--progress=fancy", image);
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.err()).isEqualTo("berth: unknown --progress fancy (auto, plain, tty or json)\n");
  }
}
