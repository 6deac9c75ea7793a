package dev.berth.image.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.image.Images;
import dev.berth.image.TestSupport;
import dev.berth.image.api.Descriptor;
import dev.berth.image.api.Digest;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.ImageReference;
import dev.berth.image.api.Platform;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pull and push against the real distribution registry (Debian docker-registry) on 127.0.0.1. */
class RegistryTest {
    @TempDir Path tmp;

    private Images source() throws Exception {
        Images im = Images.open(tmp.resolve("src"));
        Path rootfs = TestSupport.busyboxRootfs(tmp.resolve("rootfs"));
        im.importRootfs(rootfs, ImageReference.parse("busybox:local"), Platform.DEFAULT);
        return im;
    }

    private Path dockerConfig(String registry, String user, String password) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("docker-" + user));
        String auth = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        Files.writeString(dir.resolve("config.json"), "{\"auths\":{\"" + registry + "\":{\"auth\":\"" + auth + "\"}}}");
        return dir.resolve("config.json");
    }

    record Event(String id, String status) {}

    static Progress recorder(ConcurrentLinkedQueue<Event> q) { return (id, status, c, t) -> q.add(new Event(id, status)); }

    @Test void pushPullByTagAndDigestOverPlainHttpWithCrossRepoMount() throws Exception {
        try (LocalRegistry reg = LocalRegistry.start(tmp.resolve("reg"), null, null, null)) {
            Images a = source();
            RegistryOptions opts = RegistryOptions.DEFAULT.withDockerConfig(tmp.resolve("none.json"));
            ImageReference target = ImageReference.parse(reg.address() + "/test/busybox:1");
            Digest pushed = a.push("busybox:local", target, opts, Progress.NONE);
            assertThat(pushed.toString()).isEqualTo(a.store().resolve("busybox:local").digest());

            Images b = Images.open(tmp.resolve("dst"));
            ConcurrentLinkedQueue<Event> ev = new ConcurrentLinkedQueue<>();
            Descriptor d = b.pull(target, Platform.DEFAULT, opts, recorder(ev));
            assertThat(d.digest()).isEqualTo(pushed.toString());
            assertThat(ev).extracting(Event::status).contains("Downloading", "Extracting", "Pull complete");
            var prov = b.inspect(target.toString()).get("Layers").get(0).get("Provenance");
            assertThat(prov.get("source").asText()).isEqualTo("pull");
            assertThat(prov.get("registry").asText()).isEqualTo(reg.address());
            assertThat(prov.get("repository").asText()).isEqualTo("test/busybox");
            assertThat(b.history(target.toString()).getFirst().provenance()).startsWith("pulled from " + reg.address() + "/test/busybox@sha256:");

            Path rootfs = b.snapshotter().prepare("p1", target.toString());
            try { assertThat(rootfs.resolve("bin/busybox")).isRegularFile(); }
            finally { b.snapshotter().remove("p1"); }

            // by digest, into a fresh store
            Images c = Images.open(tmp.resolve("dst2"));
            Descriptor byDigest = c.pull(target.withDigest(pushed), Platform.DEFAULT, opts, Progress.NONE);
            assertThat(byDigest.digest()).isEqualTo(pushed.toString());
            assertThat(c.verify()).isEmpty();

            // second pull: everything already there
            ev.clear();
            b.pull(target, Platform.DEFAULT, opts, recorder(ev));
            assertThat(ev).extracting(Event::status).containsOnly("Already exists");

            // push what b pulled to another repository: blobs are mounted, not uploaded
            ev.clear();
            b.push(target.toString(), ImageReference.parse(reg.address() + "/other/copy:1"), opts, recorder(ev));
            assertThat(ev).extracting(Event::status).contains("Mounted from test/busybox").doesNotContain("Pushing");

            assertThatThrownBy(() -> b.pull(ImageReference.parse(reg.address() + "/test/busybox:nosuch"), Platform.DEFAULT, opts, Progress.NONE))
                    .isInstanceOf(ImageException.Registry.class).hasMessageContaining("404").hasMessageContaining("MANIFEST_UNKNOWN");
        }
    }

    @Test void htpasswdBasicAuthWithDockerConfigCredentials() throws Exception {
        TestSupport.requireTool("htpasswd");
        Path auth = Files.createDirectories(tmp.resolve("auth"));
        TestSupport.run(auth, "htpasswd", "-Bbc", auth.resolve("htpasswd").toString(), "alice", "s3cret");
        String yaml = "auth:\n  htpasswd:\n    realm: berth-test\n    path: " + auth.resolve("htpasswd") + "\n";
        try (LocalRegistry reg = LocalRegistry.start(tmp.resolve("reg"), yaml, null, null)) {
            Images a = source();
            ImageReference target = ImageReference.parse(reg.address() + "/private/busybox:1");
            RegistryOptions anon = RegistryOptions.DEFAULT.withDockerConfig(tmp.resolve("none.json"));
            assertThatThrownBy(() -> a.push("busybox:local", target, anon, Progress.NONE))
                    .isInstanceOf(ImageException.Registry.class).hasMessageContaining("authentication required");
            RegistryOptions wrong = RegistryOptions.DEFAULT.withDockerConfig(dockerConfig(reg.address(), "alice", "nope"));
            assertThatThrownBy(() -> a.push("busybox:local", target, wrong, Progress.NONE))
                    .isInstanceOf(ImageException.Registry.class).hasMessageContaining("401").hasMessageContaining("refused")
                    .hasMessageContaining("config.json");
            RegistryOptions good = RegistryOptions.DEFAULT.withDockerConfig(dockerConfig(reg.address(), "alice", "s3cret"));
            a.push("busybox:local", target, good, Progress.NONE);
            Images b = Images.open(tmp.resolve("dst"));
            assertThat(b.pull(target, Platform.DEFAULT, good, Progress.NONE).digest()).isEqualTo(a.store().resolve("busybox:local").digest());
        }
    }

    @Test void tlsWithCustomCaAndNoSilentFallbackToHttp() throws Exception {
        Path certs = Files.createDirectories(tmp.resolve("certs"));
        Path[] ck = LocalRegistry.selfSigned(certs, "registry");
        try (LocalRegistry reg = LocalRegistry.start(tmp.resolve("reg"), null, ck[0], ck[1])) {
            Images a = source();
            ImageReference target = ImageReference.parse(reg.address() + "/tls/busybox:1");
            RegistryOptions noCa = RegistryOptions.DEFAULT.withDockerConfig(tmp.resolve("none.json"));
            assertThatThrownBy(() -> a.push("busybox:local", target, noCa, Progress.NONE))
                    .isInstanceOf(ImageException.Registry.class).hasMessageContaining("https://" + reg.address()).hasMessageContaining("--ca");
            RegistryOptions ca = noCa.withCa(ck[0]);
            a.push("busybox:local", target, ca, Progress.NONE);
            Images b = Images.open(tmp.resolve("dst"));
            assertThat(b.pull(target, Platform.DEFAULT, ca, Progress.NONE).digest()).isEqualTo(a.store().resolve("busybox:local").digest());
        }
    }

    @Test void bearerTokenFlow() throws Exception {
        Path certs = Files.createDirectories(tmp.resolve("certs"));
        Path[] signer = LocalRegistry.selfSigned(certs, "token-signer");
        try (TokenServer ts = new TokenServer(signer[0], signer[1], "bob", "pw", "berth-registry", "berth-issuer")) {
            String yaml = "auth:\n  token:\n    realm: " + ts.realm() + "\n    service: berth-registry\n    issuer: berth-issuer\n    rootcertbundle: " + signer[0] + "\n";
            try (LocalRegistry reg = LocalRegistry.start(tmp.resolve("reg"), yaml, null, null)) {
                Images a = source();
                ImageReference target = ImageReference.parse(reg.address() + "/tok/busybox:1");
                RegistryOptions anon = RegistryOptions.DEFAULT.withDockerConfig(tmp.resolve("none.json"));
                assertThatThrownBy(() -> a.push("busybox:local", target, anon, Progress.NONE))
                        .isInstanceOf(ImageException.Registry.class).hasMessageContaining("token endpoint").hasMessageContaining("401");
                RegistryOptions bob = RegistryOptions.DEFAULT.withDockerConfig(dockerConfig(reg.address(), "bob", "pw"));
                a.push("busybox:local", target, bob, Progress.NONE);
                Images b = Images.open(tmp.resolve("dst"));
                assertThat(b.pull(target, Platform.DEFAULT, bob, Progress.NONE).digest()).isEqualTo(a.store().resolve("busybox:local").digest());
                assertThat(ts.issued.get()).isPositive();
            }
        }
    }

    @Test void identityTokenIsTradedAtTheTokenEndpoint() throws Exception {
        Path certs = Files.createDirectories(tmp.resolve("certs"));
        Path[] signer = LocalRegistry.selfSigned(certs, "token-signer");
        try (TokenServer ts = new TokenServer(signer[0], signer[1], "bob", "pw", "refresh-123", "berth-registry", "berth-issuer")) {
            String yaml = "auth:\n  token:\n    realm: " + ts.realm() + "\n    service: berth-registry\n    issuer: berth-issuer\n    rootcertbundle: " + signer[0] + "\n";
            try (LocalRegistry reg = LocalRegistry.start(tmp.resolve("reg"), yaml, null, null)) {
                Images a = source();
                ImageReference target = ImageReference.parse(reg.address() + "/tok/busybox:1");
                Path dir = Files.createDirectories(tmp.resolve("docker-idt"));
                Path good = Files.writeString(dir.resolve("good.json"), "{\"auths\":{\"" + reg.address() + "\":{\"identitytoken\":\"refresh-123\"}}}");
                Path bad = Files.writeString(dir.resolve("bad.json"), "{\"auths\":{\"" + reg.address() + "\":{\"identitytoken\":\"revoked\"}}}");
                assertThatThrownBy(() -> a.push("busybox:local", target, RegistryOptions.DEFAULT.withDockerConfig(bad), Progress.NONE))
                        .isInstanceOf(ImageException.Registry.class).hasMessageContaining("identity token from docker config " + bad)
                        .hasMessageContaining("401");
                a.push("busybox:local", target, RegistryOptions.DEFAULT.withDockerConfig(good), Progress.NONE);
                Images b = Images.open(tmp.resolve("dst"));
                assertThat(b.pull(target, Platform.DEFAULT, RegistryOptions.DEFAULT.withDockerConfig(good), Progress.NONE).digest())
                        .isEqualTo(a.store().resolve("busybox:local").digest());
                assertThat(ts.refreshed.get()).isPositive();
            }
        }
    }

    @Test void brokenDownloadIsResumedWithRange() throws Exception {
        try (LocalRegistry reg = LocalRegistry.start(tmp.resolve("reg"), null, null, null)) {
            Images a = Images.open(tmp.resolve("src"));
            Path rootfs = TestSupport.busyboxRootfs(tmp.resolve("rootfs"));
            byte[] noise = new byte[3 << 20];
            new Random(42).nextBytes(noise);
            Files.write(rootfs.resolve("noise.bin"), noise);
            a.importRootfs(rootfs, ImageReference.parse("big:1"), Platform.DEFAULT);
            RegistryOptions opts = RegistryOptions.DEFAULT.withDockerConfig(tmp.resolve("none.json"));
            a.push("big:1", ImageReference.parse(reg.address() + "/big/img:1"), opts, Progress.NONE);
            String layer = a.store().manifest(a.store().resolve("big:1")).layers().getFirst().digest();
            try (CuttingProxy proxy = new CuttingProxy(reg.port, "/blobs/" + layer, 1 << 20)) {
                Images b = Images.open(tmp.resolve("dst"));
                b.pull(ImageReference.parse("127.0.0.1:" + proxy.port() + "/big/img:1"), Platform.DEFAULT, opts, Progress.NONE);
                assertThat(proxy.cut.get()).isTrue();
                assertThat(proxy.sawRange.get()).isTrue();
                assertThat(b.verify()).isEmpty();
                try (var ls = Files.list(tmp.resolve("dst/ingest"))) { assertThat(ls).isEmpty(); }
            }
        }
    }

    @Test void corruptedDownloadIsRejectedAndLeavesNothing() throws Exception {
        try (LocalRegistry reg = LocalRegistry.start(tmp.resolve("reg"), null, null, null)) {
            Images a = Images.open(tmp.resolve("src"));
            Path rootfs = TestSupport.busyboxRootfs(tmp.resolve("rootfs"));
            byte[] noise = new byte[1 << 20];
            new Random(7).nextBytes(noise);
            Files.write(rootfs.resolve("noise.bin"), noise);
            a.importRootfs(rootfs, ImageReference.parse("big:1"), Platform.DEFAULT);
            RegistryOptions opts = RegistryOptions.DEFAULT.withDockerConfig(tmp.resolve("none.json"));
            a.push("big:1", ImageReference.parse(reg.address() + "/big/img:1"), opts, Progress.NONE);
            String layer = a.store().manifest(a.store().resolve("big:1")).layers().getFirst().digest();
            try (CuttingProxy proxy = new CuttingProxy(reg.port, "/blobs/" + layer, 300_000, true)) {
                Images b = Images.open(tmp.resolve("dst"));
                assertThatThrownBy(() -> b.pull(ImageReference.parse("127.0.0.1:" + proxy.port() + "/big/img:1"), Platform.DEFAULT, opts, Progress.NONE))
                        .isInstanceOf(ImageException.DigestMismatch.class).hasMessageContaining(layer);
                assertThat(proxy.cut.get()).isTrue();
                assertThat(b.list()).isEmpty();
                assertThat(b.snapshots().list()).isEmpty();
                assertThat(b.store().hasBlob(Digest.parse(layer))).isFalse();
                try (var ls = Files.list(tmp.resolve("dst/ingest"))) { assertThat(ls).isEmpty(); }
                Thread.sleep(200);   // the extractor thread finishes its cleanup
                try (var ls = Files.list(tmp.resolve("dst/snapshots/tmp"))) { assertThat(ls).isEmpty(); }
            }
        }
    }

    @Test void multiPlatformIndexPushedBySkopeoPulledWithPlatformSelection() throws Exception {
        Path layout = Files.createDirectories(tmp.resolve("layout"));
        Path tar = tmp.resolve("multi.tar");
        Files.write(tar, TestSupport.multiPlatformOciArchive(false, dev.berth.image.api.MediaTypes.OCI_LAYER));
        TestSupport.run(layout, "tar", "xf", tar.toString());
        try (LocalRegistry reg = LocalRegistry.start(tmp.resolve("reg"), null, null, null)) {
            TestSupport.run(null, "skopeo", "copy", "--all", "--dest-tls-verify=false", "oci:" + layout + ":1.0", "docker://" + reg.address() + "/multi/img:1.0");
            RegistryOptions opts = RegistryOptions.DEFAULT.withDockerConfig(tmp.resolve("none.json"));
            Images b = Images.open(tmp.resolve("dst"));
            ImageReference ref = ImageReference.parse(reg.address() + "/multi/img:1.0");
            b.pull(ref, Platform.DEFAULT, opts, Progress.NONE);
            assertThat(b.inspect(ref.toString()).get("Architecture").asText()).isEqualTo("amd64");
            Images c = Images.open(tmp.resolve("dst-arm"));
            c.pull(ref, Platform.parse("linux/arm64"), opts, Progress.NONE);
            assertThat(c.inspect(ref.toString()).get("Architecture").asText()).isEqualTo("arm64");
            Path fs = c.snapshots().fs(dev.berth.image.snapshot.SnapshotStore.chainIds(
                    dev.berth.image.store.Store.diffIds(c.store().config(c.store().manifest(c.store().resolve(ref.toString()))))).getFirst());
            assertThat(Files.readString(fs.resolve("arch"))).isEqualTo("ARM");
            assertThatThrownBy(() -> Images.open(tmp.resolve("dst-s390")).pull(ref, Platform.parse("linux/s390x"), opts, Progress.NONE))
                    .isInstanceOf(ImageException.NotFound.class).hasMessageContaining("no manifest for platform linux/s390x");
        }
    }

    @Test void plainHttpOnlyForLocalhostOrInsecure() {
        RegistryOptions o = RegistryOptions.DEFAULT;
        assertThat(o.plainHttpAllowed("localhost:5000")).isTrue();
        assertThat(o.plainHttpAllowed("127.0.0.1:5000")).isTrue();
        assertThat(o.plainHttpAllowed("[::1]:5000")).isTrue();
        assertThat(o.plainHttpAllowed("registry.example:5000")).isFalse();
        assertThat(o.withInsecure(Set.of("registry.example:5000")).plainHttpAllowed("registry.example:5000")).isTrue();
        assertThat(List.of()).isEmpty();
    }
}
