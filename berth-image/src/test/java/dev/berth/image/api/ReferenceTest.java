package dev.berth.image.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ReferenceTest {
    @Test void normalisesLikeDocker() {
        assertThat(ImageReference.parse("busybox").toString()).isEqualTo("docker.io/library/busybox:latest");
        assertThat(ImageReference.parse("busybox").familiar()).isEqualTo("busybox:latest");
        assertThat(ImageReference.parse("user/app:1.0").toString()).isEqualTo("docker.io/user/app:1.0");
        assertThat(ImageReference.parse("localhost:5000/app").toString()).isEqualTo("localhost:5000/app:latest");
        assertThat(ImageReference.parse("127.0.0.1:5000/a/b:t").registry()).isEqualTo("127.0.0.1:5000");
        assertThat(ImageReference.parse("quay.io/x/y").repository()).isEqualTo("x/y");
        assertThat(ImageReference.parse("index.docker.io/library/alpine").toString()).isEqualTo("docker.io/library/alpine:latest");
        String d = "sha256:" + "a".repeat(64);
        ImageReference r = ImageReference.parse("busybox@" + d);
        assertThat(r.tag()).isNull();
        assertThat(r.digest().toString()).isEqualTo(d);
        assertThat(r.reference()).isEqualTo(d);
        assertThat(ImageReference.parse("busybox:1@" + d).tag()).isEqualTo("1");
    }

    @Test void rejectsBadReferences() {
        assertThatThrownBy(() -> ImageReference.parse("")).isInstanceOf(ImageException.InvalidReference.class);
        assertThatThrownBy(() -> ImageReference.parse("a//b")).hasMessageContaining("invalid");
        assertThatThrownBy(() -> ImageReference.parse("busybox:bad tag")).hasMessageContaining("invalid tag");
        assertThatThrownBy(() -> ImageReference.parse("busybox@sha256:zz")).hasMessageContaining("invalid digest");
        assertThatThrownBy(() -> ImageReference.parse("-x")).isInstanceOf(ImageException.InvalidReference.class);
    }

    @Test void digests() {
        assertThat(Digest.parse("sha256:" + "0".repeat(64)).hex()).hasSize(64);
        assertThatThrownBy(() -> Digest.parse("sha256:ABC")).isInstanceOf(ImageException.InvalidReference.class);
        assertThatThrownBy(() -> Digest.parse("md5:" + "0".repeat(32))).hasMessageContaining("invalid digest");
        assertThat(Digest.of(new byte[0]).toString()).isEqualTo("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    @Test void platforms() {
        assertThat(Platform.parse("linux/arm64/v8").variant()).isEqualTo("v8");
        assertThat(Platform.parse("linux/x86_64").architecture()).isEqualTo("amd64");
        assertThatThrownBy(() -> Platform.parse("linux")).hasMessageContaining("invalid platform");
    }
}
