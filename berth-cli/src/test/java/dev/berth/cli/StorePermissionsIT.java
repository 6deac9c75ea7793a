package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 9, High 1: no unprivileged host user may reach a file of an image or a container in the
 * store, least of all a setuid-root binary a layer or a container planted there. Each test works
 * under a 0755 temp directory (as {@link Runc} makes it), so only the store's own modes stand
 * between uid 65534 and the files; uid 65534 is checked with setpriv.
 */
class StorePermissionsIT extends RuncTest {
  static final Path BERTH = Runc.REPO.resolve("bin/berth");
  Path store;
  Path rootfs;

  @BeforeEach
  void importBusyboxWithASetuidBinary() throws Exception {
    store = runc.tmp.resolve("images");
    rootfs = runc.tmp.resolve("busybox-rootfs");
    Process p = new ProcessBuilder("sh", Runc.REPO.resolve("scripts/mk-rootfs.sh").toString(), rootfs.toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as("mk-rootfs: %s", out).isZero();
    // the hostile layer: a root-owned setuid copy of the host's id(1) (busybox drops a setuid bit,
    // id shows it: "euid=0(root)"), and a plain copy the container makes setuid itself
    Files.createDirectories(rootfs.resolve("opt"));
    Files.copy(Path.of("/usr/bin/id"), rootfs.resolve("bin/suid"));
    Files.copy(Path.of("/usr/bin/id"), rootfs.resolve("opt/id"));
    Files.setAttribute(rootfs.resolve("bin/suid"), "unix:mode", 04755);
    Files.setAttribute(rootfs.resolve("opt/id"), "unix:mode", 0755);
    berthIn("import", rootfs.toString(), "suid:it").ok();
  }

  @AfterEach
  void removeBundles() throws Exception {
    for (String name : berthIn("bundle ls", "-q").out().lines().toList()) {
      runc.exec(30, "delete", "--force", name);
      berthIn("bundle rm", name);
    }
    assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(store.toString());
  }

  @Test
  void setuidBinariesOfLayersAndContainersAreOutOfReachOfHostUsers() throws Exception {
    Path b = runc.tmp.resolve("planter");
    berthIn("bundle create", "--name", "planter", "suid:it", b.toString(),
        "sh", "-c", "cp /opt/id /planted && chmod 4755 /planted && echo planted").ok();
    assertThat(runc.output(b, "planter")).isEqualTo("planted\n");

    List<Path> planted = setuidFiles();
    assertThat(planted).as("the layer's and the container's setuid-root binaries, seen as root")
        .contains(store.resolve("containers/planter/upper/planted"), store.resolve("containers/planter/rootfs/planted"),
            store.resolve("containers/planter/rootfs/bin/suid"))
        .anySatisfy(f -> assertThat(f.toString()).startsWith(store.resolve("snapshots/sha256") + "/").endsWith("/fs/bin/suid"));
    for (Path f : planted) assertUnreachableByNobody(f);
    // the bundle directory bundle create made (config.json: the container's env and command) is root's too
    assertThat(mode(b)).isEqualTo(0700);
    assertStoreStillWorks(b, "planter");
  }

  @Test
  void anExistingStoreIsTightenedWhenOpened() throws Exception {
    Path b = runc.tmp.resolve("old");
    berthIn("bundle create", "--name", "old", "suid:it", b.toString(), "sh", "-c", "echo ran").ok();
    List<Path> planted = setuidFiles();
    assertThat(planted).hasSizeGreaterThanOrEqualTo(2);
    // as the old code left a store: its own directories 0755 (the layers' and the container's own keep their modes)
    List<Path> own = new ArrayList<>(List.of(store, store.resolve("containers/old")));
    for (String d : List.of("blobs", "blobs/sha256", "ingest", "snapshots", "snapshots/sha256", "snapshots/tmp", "containers", "provenance")) {
      own.add(store.resolve(d));
    }
    try (Stream<Path> chains = Files.list(store.resolve("snapshots/sha256"))) { chains.forEach(own::add); }
    for (Path d : own) Files.setAttribute(d, "unix:mode", 0755);
    Files.setAttribute(b, "unix:mode", 0755);
    assertThat(nobody(planted.getFirst()).out()).as("the old store is open to everyone").contains("REACHED").contains("euid=0(root)");
    berthIn("images").ok();
    for (Path f : planted) assertUnreachableByNobody(f);
    // its directories are root's now; the root keeps its mode (it may be a directory of the user's)
    for (String d : List.of("blobs", "snapshots", "snapshots/sha256", "containers", "provenance", "ingest")) {
      assertThat(mode(store.resolve(d))).as(d).isEqualTo(0700);
    }
    assertStoreStillWorks(b, "old");
  }

  /** Mapped users of a user namespace still reach their rootfs, although no other host user can. */
  @Test
  void aUserNamespacedContainerRunsFromTheStore() throws Exception {
    Path b = runc.tmp.resolve("userns");
    berthIn("bundle create", "--name", "userns", "suid:it", b.toString(),
        "sh", "-c", "id -u; cat /proc/self/uid_map; cat /etc/hostname; echo written > /tmp/f && cat /tmp/f").ok();
    ObjectNode cfg = (ObjectNode) Runc.JSON.readTree(b.resolve("config.json").toFile());
    ObjectNode linux = (ObjectNode) cfg.get("linux");
    ((ArrayNode) linux.get("namespaces")).addObject().put("type", "user");
    linux.putArray("uidMappings").addObject().put("containerID", 0).put("hostID", 100000).put("size", 65536);
    linux.putArray("gidMappings").addObject().put("containerID", 0).put("hostID", 100000).put("size", 65536);
    Files.writeString(b.resolve("config.json"), Runc.JSON.writeValueAsString(cfg));
    assertThat(mode(store)).isEqualTo(0700);
    List<String> out = runc.output(b, "userns").lines().map(String::trim).toList();
    assertThat(out.get(0)).isEqualTo("0");
    assertThat(out.get(1).split("\\s+")).containsExactly("0", "100000", "65536");
    assertThat(out.subList(2, out.size())).containsExactly("berth", "written");
    assertStoreStillWorks(b, "userns");
  }

  /** Every setuid file under the store, found as root. */
  List<Path> setuidFiles() throws Exception {
    try (Stream<Path> w = Files.walk(store)) {
      return w.filter(f -> Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)).filter(f -> (mode(f) & 04000) != 0).toList();
    }
  }

  void assertUnreachableByNobody(Path f) throws Exception {
    assertThat(mode(f) & 07777).as("%s as root", f).isEqualTo(04755);
    assertThat((Integer) Files.getAttribute(f, "unix:uid", LinkOption.NOFOLLOW_LINKS)).isZero();
    Runc.Result r = nobody(f);
    assertThat(r.out()).as("uid 65534 and %s", f).doesNotContain("REACHED").doesNotContain("euid=0");
    assertThat(r.err()).as("uid 65534 running %s", f).contains("Permission denied");
  }

  /** As uid/gid 65534 with no groups: prints REACHED if the file can be stat'ed, then runs it (id: "euid=0(root)" when setuid root). */
  Runc.Result nobody(Path f) throws Exception {
    return exec(List.of("setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", "--",
        "/bin/sh", "-c", "test -e \"$1\" && echo REACHED; \"$1\"", "sh", f.toString()));
  }

  void assertStoreStillWorks(Path b, String name) throws Exception {
    assertThat(berthIn("bundle rm", name).ok().out()).isEqualTo(name + "\n");
    assertThat(b).doesNotExist();
    assertThat(berthIn("verify").ok().out()).contains("store verified");
    Path again = runc.tmp.resolve("again");
    berthIn("bundle create", "--name", "again", "suid:it", again.toString(), "cat", "/etc/hostname").ok();
    assertThat(runc.output(again, "again")).isEqualTo("berth\n");
    berthIn("bundle rm", "again").ok();
    try (var ls = Files.list(store.resolve("containers"))) { assertThat(ls).isEmpty(); }
    try (var ls = Files.list(store.resolve("snapshots/tmp"))) { assertThat(ls).isEmpty(); }
    // nothing setuid outside the store but the test's own source tree
    try (Stream<Path> w = Files.walk(runc.tmp)) {
      assertThat(w.filter(f -> !f.startsWith(store) && !f.startsWith(rootfs))
          .filter(f -> Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS) && (mode(f) & 04000) != 0).toList()).isEmpty();
    }
  }

  static int mode(Path p) {
    try { return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777; }
    catch (java.io.IOException e) { throw new java.io.UncheckedIOException(e); }
  }

  Runc.Result berthIn(String command, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(BERTH.toString()));
    cmd.addAll(List.of(command.split(" ")));
    cmd.add("--root");
    cmd.add(store.toString());
    cmd.addAll(List.of(args));
    return exec(cmd);
  }

  Runc.Result exec(List<String> cmd) throws Exception {
    Path out = Files.createTempFile(runc.tmp, "out", ".txt"), err = Files.createTempFile(runc.tmp, "err", ".txt");
    Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("timed out: " + cmd);
    }
    return new Runc.Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }
}
