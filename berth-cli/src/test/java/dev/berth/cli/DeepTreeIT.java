package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 9 (High 2, Medium 4, Medium 5) through bin/berth and bin/berth-runc: a layer of 5,000
 * nested directories, a container that makes a 2,047-deep tree (`mkdir d; cd d`), deep leftovers
 * of a crash, sparse files and the layer size limit. After each: the store answers (images, load,
 * prune, bundle ls, bundle rm) and nothing is left behind.
 */
class DeepTreeIT extends RuncTest {
  static final Path BERTH = Runc.REPO.resolve("bin/berth");
  Path store;

  @BeforeEach
  void importBusybox() throws Exception {
    store = runc.tmp.resolve("images");
    Path rootfs = runc.tmp.resolve("busybox-rootfs");
    Process p = new ProcessBuilder("sh", Runc.REPO.resolve("scripts/mk-rootfs.sh").toString(), rootfs.toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as("mk-rootfs: %s", out).isZero();
    berth("import", rootfs.toString(), "busybox:it").ok();
  }

  @AfterEach
  void removeBundles() throws Exception {
    for (String name : berth("bundle ls", "-q").out().lines().toList()) {
      runc.exec(30, "delete", "--force", name);
      berth("bundle rm", name);
    }
    assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(store.toString());
  }

  Runc.Result berth(String command, String... args) throws Exception { return berthEnv(Map.of(), command, args); }

  /** bin/berth COMMAND --root STORE ARGS..., with {@code env} added. */
  Runc.Result berthEnv(Map<String, String> env, String command, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(BERTH.toString()));
    cmd.addAll(List.of(command.split(" ")));
    cmd.add("--root");
    cmd.add(store.toString());
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile(runc.tmp, "berth-out", ".txt"), err = Files.createTempFile(runc.tmp, "berth-err", ".txt");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().putAll(env);
    Process p = pb.start();
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("timed out: " + cmd);
    }
    return new Runc.Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  static String python(String script, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("python3", "-c", script));
    cmd.addAll(List.of(args));
    Process p;
    try { p = new ProcessBuilder(cmd).redirectErrorStream(true).start(); }
    catch (java.io.IOException e) { throw new AssertionError("python3 is needed (Debian package python3)", e); }
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as("python3: %s", out).isZero();
    return out;
  }

  /** The store still answers and holds nothing of failed or removed work. */
  void assertStoreUsable() throws Exception {
    berth("images").ok();
    berth("bundle ls").ok();
    berth("prune").ok();
    Path small = runc.tmp.resolve("small.tar");
    python("import tarfile,io,sys\nwith tarfile.open(sys.argv[1],'w') as t:\n i=tarfile.TarInfo('etc/probe'); d=b'x'; i.size=1; t.addfile(i, io.BytesIO(d))",
        small.toString());
    berth("import", small.toString(), "probe:1").ok();
    berth("save", "-o", runc.tmp.resolve("probe-saved.tar").toString(), "probe:1").ok();
    berth("rm", "probe:1").ok();
    berth("load", "-i", runc.tmp.resolve("probe-saved.tar").toString()).ok();
    berth("rm", "probe:1").ok();
    for (String d : List.of("snapshots/tmp", "ingest")) {
      try (Stream<Path> s = Files.list(store.resolve(d))) { assertThat(s.toList()).as(d).isEmpty(); }
    }
  }

  @Test
  void aLayerOf5000NestedDirectoriesMakesABundleAndTheStoreStaysUsable() throws Exception {
    Path layer = runc.tmp.resolve("deep.tar");
    python("import tarfile,io,sys\nwith tarfile.open(sys.argv[1],'w',format=tarfile.PAX_FORMAT) as t:\n p='d'\n"
        + " for i in range(5000):\n  i=tarfile.TarInfo(p); i.type=tarfile.DIRTYPE; i.mode=0o755; t.addfile(i); p+='/d'\n"
        + " i=tarfile.TarInfo(p[:-2]+'/f'); i.size=4; t.addfile(i, io.BytesIO(b'deep'))", layer.toString());
    berth("import", layer.toString(), "deep:5000").ok();
    Path b = runc.tmp.resolve("deep-bundle");
    assertThat(berth("bundle create", "--name", "deep", "deep:5000", b.toString(), "true").ok().out()).isEqualTo("deep\n");
    assertThat(python("import os,sys\nos.chdir(sys.argv[1])\nn=0\nwhile os.path.isdir('d'):\n os.chdir('d'); n+=1\nprint(n, open('f').read())",
        store.resolve("containers/deep/rootfs").toString())).isEqualTo("5000 deep\n");
    assertThat(berth("bundle ls").ok().out()).contains("deep");
    assertThat(berth("verify").ok().out()).contains("store verified");
    assertThat(berth("bundle rm", "deep").ok().out()).isEqualTo("deep\n");
    assertThat(b.resolve("config.json")).doesNotExist();
    berth("rm", "deep:5000").ok();
    assertStoreUsable();
    try (Stream<Path> s = Files.list(store.resolve("containers"))) { assertThat(s.toList()).isEmpty(); }
  }

  @Test
  void aContainerThatMakesA2047DeepTreeCanBeDiffedCommittedAndRemoved() throws Exception {
    Path b = runc.tmp.resolve("mkdirs");
    berth("bundle create", "--name", "mkdirs", "busybox:it", b.toString(),
        "sh", "-c", "cd / && i=0; while [ $i -lt 2047 ]; do mkdir d; cd d; i=$((i+1)); done; echo bottom > f").ok();
    runc.run("run", "--bundle", b.toString(), "mkdirs").ok();
    List<String> diff = berth("diff", "mkdirs").ok().out().lines().toList();
    assertThat(diff).hasSize(2047 + 1).contains("A /d", "A " + "/d".repeat(2047) + "/f");
    assertThat(berth("commit", "mkdirs", "busybox:deep").ok().out()).startsWith("sha256:");

    Path b2 = runc.tmp.resolve("again");
    berth("bundle create", "--name", "again", "busybox:deep", b2.toString(),
        "sh", "-c", "cd / && i=0; while [ -d d ]; do cd d; i=$((i+1)); done; echo $i $(cat f)").ok();
    assertThat(runc.output(b2, "again")).isEqualTo("2047 bottom\n");

    assertThat(berth("bundle rm", "mkdirs", "again").ok().out()).isEqualTo("mkdirs\nagain\n");
    assertThat(b.resolve("config.json")).doesNotExist();
    assertThat(b2.resolve("config.json")).doesNotExist();
    try (Stream<Path> s = Files.list(store.resolve("containers"))) { assertThat(s.toList()).isEmpty(); }
    berth("rm", "busybox:deep").ok();
    assertStoreUsable();
  }

  @Test
  void deepLeftoversOfACrashAreRemovedAtStartUp() throws Exception {
    String mk = "import os,sys\nos.makedirs(sys.argv[1], exist_ok=True)\nos.chdir(sys.argv[1])\nfor _ in range(3000):\n os.mkdir('d'); os.chdir('d')\nopen('f','w').write('x')";
    python(mk, store.resolve("snapshots/tmp/crashed").toString());
    python(mk, store.resolve("ingest/crashed").toString());
    berth("images").ok();
    assertStoreUsable();
  }

  @Test
  void sparseLayersKeepTheirHolesAndTheLayerLimitIsTheUsers() throws Exception {
    Path src = Files.createDirectories(runc.tmp.resolve("sparse-src"));
    for (int i = 0; i < 10; i++) {
      try (RandomAccessFile f = new RandomAccessFile(src.resolve("f" + i).toFile(), "rw")) {
        f.setLength(2L << 30);
        f.seek(1L << 30);
        f.write("data".getBytes());
      }
    }
    Path sparse = runc.tmp.resolve("sparse.tar");
    Process tar = new ProcessBuilder("tar", "--sparse", "--format=gnu", "-C", src.toString(), "-cf",
        sparse.toString(), ".").redirectErrorStream(true).start();
    assertThat(tar.waitFor()).isZero();
    assertThat(Files.size(sparse)).isLessThan(128 * 1024);
    berthEnv(Map.of("BERTH_MAX_LAYER_SIZE", "1m"), "import", sparse.toString(), "sparse:1").ok();   // holes are not data
    Process du = new ProcessBuilder("du", "-s", "--block-size=1", store.toString()).start();
    long used = Long.parseLong(new String(du.getInputStream().readAllBytes()).split("\\s")[0]);
    assertThat(du.waitFor()).isZero();
    assertThat(used).as("bytes the store uses").isLessThan(64L << 20);
    berth("rm", "sparse:1").ok();

    Path big = runc.tmp.resolve("big.tar");
    python("import tarfile,io,sys\nwith tarfile.open(sys.argv[1],'w') as t:\n for n in ('a','b'):\n  i=tarfile.TarInfo(n); i.size=700<<10; t.addfile(i, io.BytesIO(b'x'*i.size))",
        big.toString());
    Runc.Result r = berthEnv(Map.of("BERTH_MAX_LAYER_SIZE", "1m"), "import", big.toString(), "big:1");
    assertThat(r.code()).as(r.err()).isEqualTo(4);
    assertThat(r.err()).containsPattern("layer sha256:[0-9a-f]{64}: entry b: the layer writes more than 1 MiB \\(1048576 bytes\\)")
        .contains("BERTH_MAX_LAYER_SIZE");
    assertThat(berth("images").ok().out()).doesNotContain("big");
    r = berthEnv(Map.of("BERTH_MAX_LAYER_SIZE", "lots"), "import", big.toString(), "big:1");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("BERTH_MAX_LAYER_SIZE=lots: not a size");
    berth("import", big.toString(), "big:1").ok();   // within the default
    berth("rm", "big:1").ok();
    assertStoreUsable();
  }
}
