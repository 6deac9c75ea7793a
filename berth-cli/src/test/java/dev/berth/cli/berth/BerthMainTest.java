package dev.berth.cli.berth;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The image CLI through BerthMain (bin/berth runs the same class). */
class BerthMainTest {
    @TempDir Path tmp;

    record Result(int code, String out, String err) {}

    Result berth(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int code = BerthMain.run(args, new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8));
        return new Result(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    private Path rootfs() throws IOException {
        Path dir = tmp.resolve("rootfs");
        Files.createDirectories(dir.resolve("bin"));
        Files.createDirectories(dir.resolve("etc"));
        Path bb = Path.of("/bin/busybox");
        if (!Files.exists(bb)) throw new AssertionError("needs /bin/busybox: apt-get install busybox-static");
        Files.copy(bb, dir.resolve("bin/busybox"), StandardCopyOption.REPLACE_EXISTING);
        Files.createSymbolicLink(dir.resolve("bin/sh"), Path.of("busybox"));
        Files.writeString(dir.resolve("etc/hostname"), "cli\n");
        return dir;
    }

    @Test void importListInspectHistoryTagSaveLoadRmPruneVerify() throws Exception {
        String root = tmp.resolve("root").toString();
        Result imp = berth("import", "--root", root, rootfs().toString(), "busybox:cli");
        assertThat(imp.code()).as(imp.err()).isZero();
        assertThat(imp.out().trim()).startsWith("sha256:");

        Result ls = berth("images", "--root", root);
        assertThat(ls.out()).contains("REPOSITORY").contains("busybox").contains("cli");
        assertThat(berth("ls", "--root", root, "-q").out().trim()).hasSize(12);

        Result inspect = berth("inspect", "--root", root, "busybox:cli");
        assertThat(inspect.out()).contains("\"RepoTags\" : [ \"busybox:cli\" ]").contains("\"source\" : \"import\"");

        Result hist = berth("history", "--root", root, "busybox:cli");
        assertThat(hist.out()).contains("berth import").contains("import of " + tmp.resolve("rootfs"));

        assertThat(berth("tag", "--root", root, "busybox:cli", "localhost:5000/me/bb:2").code()).isZero();
        assertThat(berth("images", "--root", root).out()).contains("localhost:5000/me/bb");

        Path archive = tmp.resolve("out.tar");
        assertThat(berth("save", "--root", root, "-o", archive.toString(), "busybox:cli").code()).isZero();
        String root2 = tmp.resolve("root2").toString();
        Result load = berth("load", "--root", root2, "-i", archive.toString());
        assertThat(load.out()).contains("Loaded image: busybox:cli");

        assertThat(berth("verify", "--root", root2).out()).contains("store verified");

        Result rm = berth("rm", "--root", root, "busybox:cli", "localhost:5000/me/bb:2");
        assertThat(rm.out()).contains("Untagged: busybox:cli").contains("Deleted: sha256:");
        Result prune = berth("prune", "--root", root);
        assertThat(prune.out()).contains("deleted blob").contains("1 snapshots");
    }

    @Test void aotTrainingWorkloadRunsOffline() throws Exception {
        ImageTraining.run(tmp.resolve("train"));
        assertThat(berth("images", "--root", tmp.resolve("train/b").toString()).out()).contains("training");
        assertThat(berth("verify", "--root", tmp.resolve("train/b").toString()).code()).isZero();
        // the pull part: from the in-process registry, uncompressed and gzip layers
        assertThat(berth("images", "--root", tmp.resolve("train/pull-2").toString()).out()).contains("training/plain").contains("training/gz");
        assertThat(berth("verify", "--root", tmp.resolve("train/pull-2").toString()).code()).isZero();
    }

    @Test void errorsAreOneLineWithExitCodes() throws Exception {
        String root = tmp.resolve("root").toString();
        Result bad = berth("inspect", "--root", root, "Bad Ref!");
        assertThat(bad.code()).isEqualTo(3);
        assertThat(bad.err()).isEqualTo("berth: no such image: Bad Ref!\n");

        Result badTag = berth("tag", "--root", root, "x", "ok:bad tag");
        assertThat(badTag.code()).isEqualTo(3);   // source missing first

        Result missing = berth("import", "--root", root, tmp.resolve("nope").toString(), "x");
        assertThat(missing.code()).isEqualTo(3);
        assertThat(missing.err().trim()).isEqualTo("berth: no such file or directory: " + tmp.resolve("nope"));

        Files.writeString(tmp.resolve("evil.tar"), "");
        Path evil = tmp.resolve("evil.tar");
        try (var out = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(Files.newOutputStream(evil))) {
            var e = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("../escape", true);
            e.setSize(1);
            out.putArchiveEntry(e);
            out.write('x');
            out.closeArchiveEntry();
        }
        Result unsafe = berth("import", "--root", root, evil.toString(), "evil:1");
        assertThat(unsafe.code()).isEqualTo(4);
        assertThat(unsafe.err().trim()).matches("berth: layer sha256:[0-9a-f]{64}: entry \\.\\./escape: name contains '\\.\\.'");
        assertThat(berth("images", "--root", root, "-q").out()).isEmpty();

        Result usage = berth("pull", "--root", root);
        assertThat(usage.code()).isEqualTo(2);
        assertThat(usage.err()).startsWith("berth: Missing required parameter");

        Result reg = berth("pull", "--root", root, "127.0.0.1:1/nothing/here:1");
        assertThat(reg.code()).isEqualTo(5);
        assertThat(reg.err()).startsWith("berth: cannot reach registry 127.0.0.1:1").doesNotContain("\n\t");
    }

    @Test void onlyTheNamedCommandIsBuiltButHelpAndTyposSeeThemAll() {
        assertThat(BerthMain.commandNamed(new String[] {"rmi", "x"})).isEqualTo(RmCommand.class);   // an alias
        assertThat(BerthMain.commandNamed(new String[] {"bundle", "create"})).isEqualTo(BundleCommand.class);
        assertThat(BerthMain.commandNamed(new String[] {"--help"})).isNull();
        assertThat(BerthMain.commandNamed(new String[] {"help", "pull"})).isNull();
        String help = berth("--help").out();
        for (Class<?> c : BerthMain.COMMANDS)
            assertThat(help).containsPattern("\n  " + c.getAnnotation(picocli.CommandLine.Command.class).name() + "[ ,]");
        Result typo = berth("pul", "x");
        assertThat(typo.code()).isEqualTo(2);
        assertThat(typo.err()).contains("'pul'");
        assertThat(berth("help", "tag").out()).startsWith("Usage: berth tag");
    }
}
