package dev.berth.engine.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** config.json from an image config: process, users from the image's files (never the host's), defaults. */
class BundleSpecTest {
    @TempDir Path tmp;

    Path rootfs() throws Exception {
        Path r = Files.createDirectories(tmp.resolve("rootfs/etc"));
        Files.writeString(r.resolve("passwd"), "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n");
        Files.writeString(r.resolve("group"), "root:x:0:\napp:x:1000:\nwheel:x:10:app,other\naudio:x:29:app\nnogroup:x:65534:\n");
        return tmp.resolve("rootfs");
    }

    static BundleSpec.Options opts(List<String> cmd, String entrypoint, String user) {
        return new BundleSpec.Options(cmd, entrypoint, List.of(), null, user, false, false, "box");
    }

    @Test void processFromImageConfigWithDockerDefaults() throws Exception {
        Path r = rootfs();
        ObjectNode ic = (ObjectNode) Json.MAPPER.readTree("{\"Entrypoint\":[\"/entry\"],\"Cmd\":[\"serve\",\"-v\"],\"Env\":[\"A=1\"],\"WorkingDir\":\"data\",\"User\":\"app\"}");
        ObjectNode spec = BundleSpec.generate(ic, r, new BundleSpec.Options(List.of(), null, List.of("A=2", "B=3"), null, null, true, true, "box"));
        var p = spec.get("process");
        assertThat(p.get("args").toString()).isEqualTo("[\"/entry\",\"serve\",\"-v\"]");
        assertThat(p.get("env").toString()).isEqualTo("[\"A=2\",\"" + BundleSpec.DEFAULT_PATH + "\",\"HOSTNAME=box\",\"TERM=xterm\",\"B=3\"]");
        assertThat(p.get("cwd").asText()).isEqualTo("/data");
        assertThat(r.resolve("data")).isDirectory();
        assertThat(p.get("user").toString()).isEqualTo("{\"uid\":1000,\"gid\":1000,\"additionalGids\":[10,29]}");
        assertThat(p.get("terminal").asBoolean()).isTrue();
        assertThat(p.get("capabilities").get("effective")).hasSize(14);
        assertThat(p.get("capabilities").has("ambient")).isFalse();
        assertThat(spec.get("root").get("path").asText()).isEqualTo(r.toAbsolutePath().toString());
        assertThat(spec.get("root").get("readonly").asBoolean()).isTrue();
        assertThat(spec.get("hostname").asText()).isEqualTo("box");
        assertThat(spec.get("mounts").toString()).contains("\"/proc\"", "\"/dev/pts\"", "\"/sys\"");

        // a command replaces Cmd only; --entrypoint replaces Entrypoint and drops Cmd
        assertThat(BundleSpec.generate(ic, r, opts(List.of("x"), null, null)).get("process").get("args").toString()).isEqualTo("[\"/entry\",\"x\"]");
        assertThat(BundleSpec.generate(ic, r, opts(List.of(), "/other", null)).get("process").get("args").toString()).isEqualTo("[\"/other\"]");
        assertThatThrownBy(() -> BundleSpec.generate(ic, r, opts(List.of(), "", null))).isInstanceOf(ImageException.InvalidReference.class)
                .hasMessageContaining("no command");
        assertThatThrownBy(() -> BundleSpec.generate(null, r, opts(List.of(), null, null))).hasMessageContaining("no command");
    }

    @Test void usersAndGroupsLikeRunc() throws Exception {
        Path r = rootfs();
        assertThat(BundleSpec.resolveUser(r, "")).isEqualTo(new BundleSpec.ExecUser(0, 0, List.of()));
        assertThat(BundleSpec.resolveUser(r, "app")).isEqualTo(new BundleSpec.ExecUser(1000, 1000, List.of(10L, 29L)));
        assertThat(BundleSpec.resolveUser(r, "app:audio")).isEqualTo(new BundleSpec.ExecUser(1000, 29, List.of()));
        assertThat(BundleSpec.resolveUser(r, "1000")).isEqualTo(new BundleSpec.ExecUser(1000, 1000, List.of(10L, 29L)));
        assertThat(BundleSpec.resolveUser(r, "4242")).isEqualTo(new BundleSpec.ExecUser(4242, 0, List.of()));
        assertThat(BundleSpec.resolveUser(r, "4242:7")).isEqualTo(new BundleSpec.ExecUser(4242, 7, List.of()));
        assertThatThrownBy(() -> BundleSpec.resolveUser(r, "ghost")).hasMessage("unable to find user ghost: no matching entries in passwd file");
        assertThatThrownBy(() -> BundleSpec.resolveUser(r, "app:ghosts")).hasMessage("unable to find group ghosts: no matching entries in group file");
    }

    @Test void anUnknownUserIsBadInputForTheBundle() throws Exception {
        Path r = rootfs();
        assertThatThrownBy(() -> BundleSpec.generate(null, r, opts(List.of("x"), null, "ghost")))
                .isInstanceOf(ImageException.InvalidReference.class)
                .hasMessage("unable to find user ghost: no matching entries in passwd file");
        assertThatThrownBy(() -> BundleSpec.resolveUser(r, "ghost")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test void linksInTheImageNeverReachTheHost() throws Exception {
        Path r = rootfs();
        Files.move(r.resolve("etc/passwd"), r.resolve("etc/passwd.image"));
        Files.createSymbolicLink(r.resolve("etc/passwd"), Path.of("/etc/passwd.image"));   // absolute: resolved inside the image
        Files.createSymbolicLink(r.resolve("up"), Path.of("../../../../../../.."));
        assertThat(BundleSpec.inRoot(r, "/etc/passwd")).isEqualTo(r.resolve("etc/passwd.image"));
        assertThat(BundleSpec.inRoot(r, "/up/etc/group")).isEqualTo(r.resolve("etc/group"));
        assertThat(BundleSpec.inRoot(r, "/../../etc")).isEqualTo(r.resolve("etc"));
        assertThat(BundleSpec.resolveUser(r, "app").uid()).isEqualTo(1000);
        // a link to itself: an error, never the host's file
        Files.delete(r.resolve("etc/group"));
        Files.createSymbolicLink(r.resolve("etc/group"), Path.of("/etc/group"));
        assertThatThrownBy(() -> BundleSpec.resolveUser(r, "app")).hasMessageContaining("symbolic links");
        Files.delete(r.resolve("etc/group"));
        Files.createDirectories(tmp.resolve("outside"));
        Files.createSymbolicLink(r.resolve("work"), tmp.resolve("outside").toAbsolutePath());
        BundleSpec.generate(null, r, new BundleSpec.Options(List.of("x"), null, List.of(), "/work/sub", null, false, false, "h"));
        assertThat(tmp.resolve("outside/sub")).doesNotExist();
        assertThat(r.resolve(tmp.resolve("outside/sub").toString().substring(1))).isDirectory();
    }
}
