package dev.berth.image.pedigree;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.image.Images;
import dev.berth.image.TestSupport;
import dev.berth.image.api.ConfigChanges;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.ImageReference;
import dev.berth.image.api.Json;
import dev.berth.image.api.Platform;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pedigree graph on a real store (root: overlay mounts): a busybox image imported from
 * Debian's busybox-static, images derived from it by real commits (one more layer each), a second
 * import of the same rootfs with another CMD (same layers), an unrelated image; bundles on them.
 *
 * <pre>
 * base (1) ── app:1 (2) ── app:2 (3)
 *   │            └──────── fork:1 (3)
 *   └── base:cmd (1, same layers)
 * lone (1, unrelated)
 * </pre>
 */
class PedigreeTest {
    @TempDir Path tmp;
    Images images;
    final List<String> containers = new ArrayList<>();

    @BeforeEach void buildFamily() throws Exception {
        images = Images.open(tmp.resolve("root"));
        Path rootfs = TestSupport.busyboxRootfs(tmp.resolve("rootfs"));
        images.importRootfs(rootfs, ImageReference.parse("base:1"), Platform.DEFAULT);
        images.importRootfs(rootfs, ImageReference.parse("base:cmd"), Platform.DEFAULT, ConfigChanges.parse(List.of("CMD [\"ls\"]")));
        derive("base:1", "app:1", "etc/app", "one\n");
        derive("app:1", "app:2", "etc/app", "two\n");
        derive("app:1", "fork:1", "etc/fork", "fork\n");
        Path lone = Files.createDirectories(tmp.resolve("lone"));
        Files.writeString(lone.resolve("only"), "x\n");
        images.importRootfs(lone, ImageReference.parse("lone:1"), Platform.DEFAULT);
    }

    @AfterEach void cleanUp() {
        for (String c : containers) {
            try { images.snapshotter().remove(c); } catch (ImageException ignored) {}
        }
    }

    /** A derived image: a container of {@code from}, one file written, committed as {@code to}; the container removed. */
    private void derive(String from, String to, String file, String content) throws Exception {
        String c = "mk-" + to.replace(':', '-');
        Path root = bundle(c, from);
        Files.writeString(root.resolve(file), content);
        images.snapshotter().commit(c, ImageReference.parse(to));
        images.snapshotter().remove(c);
    }

    private Path bundle(String id, String image) {
        containers.add(id);
        return images.snapshotter().prepare(id, image, Map.of("bundle", "/tmp/" + id));
    }

    private Pedigree pedigree() { return Pedigree.of(images.store(), images.snapshotter()); }

    private static List<String> names(List<Pedigree.Relative> rs) {
        return rs.stream().map(r -> r.image().display() + "+" + r.addedLayers()).toList();
    }

    @Test void ancestorsAndDescendantsByLayerChainPrefix() {
        Pedigree p = pedigree();
        Pedigree.Family app2 = p.family("app:2");
        assertThat(app2.image().layers()).isEqualTo(3);
        assertThat(names(app2.ancestors())).containsExactly("app:1+1", "base:1+2", "base:cmd+2");
        assertThat(app2.descendants()).isEmpty();
        assertThat(app2.sameLayers()).isEmpty();

        Pedigree.Family base = p.family("base:1");
        assertThat(base.ancestors()).isEmpty();
        assertThat(names(base.descendants())).containsExactly("app:1+1", "app:2+2", "fork:1+2");
        assertThat(base.sameLayers()).extracting(Pedigree.Image::display).containsExactly("base:cmd");

        // fork:1 and app:2 are siblings (3 layers each, other tops): neither descends from the other
        assertThat(names(p.family("fork:1").ancestors())).containsExactly("app:1+1", "base:1+2", "base:cmd+2");
        assertThat(names(p.family("app:1").descendants())).containsExactly("app:2+1", "fork:1+1");

        Pedigree.Family lone = p.family("lone:1");
        assertThat(lone.ancestors()).isEmpty();
        assertThat(lone.descendants()).isEmpty();

        // by image ID too, as every command takes it
        assertThat(p.family(app2.image().id().substring(7, 19)).image().manifest()).isEqualTo(app2.image().manifest());
    }

    @Test void treeHangsEachImageUnderItsNearestAncestor() {
        List<Pedigree.Tree> forest = pedigree().tree();
        assertThat(forest).extracting(t -> t.image().display()).containsExactly("base:1", "lone:1");
        Pedigree.Tree base = forest.getFirst();
        assertThat(base.children()).extracting(t -> t.image().display() + "+" + t.addedLayers()).containsExactly("base:cmd+0", "app:1+1");
        Pedigree.Tree app1 = base.children().get(1);
        assertThat(app1.children()).extracting(t -> t.image().display() + "+" + t.addedLayers()).containsExactly("app:2+1", "fork:1+1");
        assertThat(base.children().getFirst().children()).isEmpty();   // a same-layer image is a leaf: descendants hang under the first
        assertThat(forest.get(1).children()).isEmpty();
        // every image exactly once
        List<String> all = new ArrayList<>();
        walk(forest, all);
        assertThat(all).containsExactlyInAnyOrder("base:1", "base:cmd", "app:1", "app:2", "fork:1", "lone:1");
        assertThat(Json.pretty(forest)).contains("\"addedLayers\" : 1", "\"layers\" : 3", "\"names\" : [ \"app:2\" ]");
    }

    private static void walk(List<Pedigree.Tree> ts, List<String> out) {
        for (Pedigree.Tree t : ts) { out.add(t.image().display()); walk(t.children(), out); }
    }

    @Test void affectedListsImagesBuiltOnTheBaseAndTheContainersUsingThem() throws Exception {
        bundle("on-app2", "app:2");
        bundle("on-fork", "fork:1");
        bundle("on-base", "base:1");
        bundle("on-lone", "lone:1");
        Path gone = bundle("of-removed", "app:1");
        images.remove("app:1", true);   // its container still uses base's layers: still affected, its image shown as removed

        Pedigree.Affected a = pedigree().affected("base:1");
        assertThat(names(a.images())).containsExactly("base:cmd+0", "app:2+2", "fork:1+2");
        assertThat(a.containers()).extracting(Pedigree.ContainerUse::id).containsExactly("of-removed", "on-app2", "on-base", "on-fork");
        Pedigree.ContainerUse removed = a.containers().getFirst();
        assertThat(removed.from()).isNull();
        assertThat(removed.image()).isEqualTo("app:1");
        assertThat(a.containers().get(1).from().display()).isEqualTo("app:2");
        assertThat(a.containers()).allMatch(c -> !c.running());

        Pedigree.Affected fork = pedigree().affected("fork:1");
        assertThat(fork.images()).isEmpty();
        assertThat(fork.containers()).extracting(Pedigree.ContainerUse::id).containsExactly("on-fork");

        // a process rooted in a container makes it running, with its pid
        Process p = new ProcessBuilder("chroot", images.snapshotter().rootfs("on-app2").toString(), "/bin/sh", "-c", "read x").start();
        try {
            long pid = p.pid();
            List<Pedigree.ContainerUse> cs = List.of();
            for (int i = 0; i < 100; i++) {   // until the chroot has exec'd
                cs = pedigree().affected("app:2").containers();
                if (!cs.isEmpty() && cs.getFirst().running()) break;
                Thread.sleep(100);
            }
            assertThat(cs).extracting(Pedigree.ContainerUse::id).containsExactly("on-app2");
            assertThat(cs.getFirst().pids()).contains(pid);
            assertThat(Json.pretty(pedigree().affected("app:2"))).contains("\"running\" : true");
        } finally {
            p.destroyForcibly().waitFor();
        }
        assertThat(gone).exists();
    }

    @Test void unknownImageIsNotFoundNamingIt() {
        assertThatThrownBy(() -> pedigree().family("nope:1")).isInstanceOf(ImageException.NotFound.class).hasMessageContaining("nope:1");
        assertThatThrownBy(() -> pedigree().affected("nope:2")).isInstanceOf(ImageException.NotFound.class).hasMessageContaining("nope:2");
        assertThatThrownBy(() -> pedigree().origins("nope:3")).isInstanceOf(ImageException.NotFound.class).hasMessageContaining("nope:3");
    }

    @Test void originsNameTheSourceAndTheImageThatIntroducedEachLayer() {
        List<Pedigree.LayerOrigin> o = pedigree().origins("app:2");
        assertThat(o).hasSize(3);
        assertThat(o.get(0).provenance().source()).isEqualTo("import");
        assertThat(o.get(0).provenance().path()).isEqualTo(tmp.resolve("rootfs").toAbsolutePath().toString());
        assertThat(o.get(0).introducedBy().display()).isEqualTo("base:1");
        assertThat(o.get(1).provenance().source()).isEqualTo("commit");
        assertThat(o.get(1).source()).startsWith("committed from container mk-app-1 of base:1 at ");
        assertThat(o.get(1).introducedBy().display()).isEqualTo("app:1");
        assertThat(o.get(2).source()).startsWith("committed from container mk-app-2 of app:1 at ");
        assertThat(o.get(2).introducedBy().display()).isEqualTo("app:2");
        assertThat(o.get(2).createdBy()).isEqualTo("berth commit mk-app-2");
        assertThat(o).allMatch(l -> !l.inherited() && l.diffId().startsWith("sha256:") && l.chainId().startsWith("sha256:"));
        assertThat(o.get(2).chainId()).isEqualTo(pedigree().family("app:2").image().chain().getLast());
    }

    @Test void driftReportsAddedChangedDeletedAndCallsOutExecutables() throws Exception {
        Path root = bundle("drifty", "app:2");
        Files.writeString(root.resolve("tmp/notes"), "text\n");
        Path script = root.resolve("tmp/run.sh");
        Files.writeString(script, "#!/bin/sh\necho hi\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.copy(Path.of("/bin/busybox"), root.resolve("tmp/elf-no-x"));
        Files.setPosixFilePermissions(root.resolve("tmp/elf-no-x"), PosixFilePermissions.fromString("rw-r--r--"));
        Files.writeString(root.resolve("etc/app"), "changed\n");
        Files.delete(root.resolve("etc/hostname"));
        Files.createSymbolicLink(root.resolve("tmp/link"), Path.of("/bin/busybox"));

        Drift.Report r = Drift.of(images.snapshotter(), "drifty");
        assertThat(r.image()).isEqualTo("app:2");
        assertThat(r.running()).isFalse();
        assertThat(r.changes()).extracting(e -> e.kind() + " " + e.path()).containsExactly(
                "C /etc", "C /etc/app", "D /etc/hostname", "C /tmp", "A /tmp/elf-no-x", "A /tmp/link", "A /tmp/notes", "A /tmp/run.sh");
        // the same walk as diff
        assertThat(r.changes()).extracting(e -> e.kind() + " " + e.path())
                .containsExactlyElementsOf(images.snapshotter().diff("drifty").stream().map(Object::toString).toList());
        assertThat(r.added()).isEqualTo(4);
        assertThat(r.changed()).isEqualTo(3);
        assertThat(r.deleted()).isEqualTo(1);
        assertThat(r.executables()).extracting(Drift.Entry::path).containsExactly("/tmp/elf-no-x", "/tmp/run.sh");
        Drift.Entry elf = r.executables().getFirst();
        assertThat(elf.elf()).isTrue();
        assertThat(elf.mode()).isEqualTo("0644");
        assertThat(elf.size()).isEqualTo(Files.size(Path.of("/bin/busybox")));
        Drift.Entry sh = r.executables().get(1);
        assertThat(sh.elf()).isFalse();
        assertThat(sh.mode()).isEqualTo("0755");
        assertThat(r.changes().stream().filter(e -> e.path().equals("/tmp/link")).findFirst().orElseThrow().type()).isEqualTo("symlink");
        assertThat(r.changes().stream().filter(e -> e.path().equals("/etc/hostname")).findFirst().orElseThrow().type()).isNull();

        assertThatThrownBy(() -> Drift.of(images.snapshotter(), "no-such")).isInstanceOf(ImageException.NotFound.class).hasMessageContaining("no-such");
    }
}
