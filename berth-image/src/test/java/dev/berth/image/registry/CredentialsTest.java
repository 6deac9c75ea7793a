package dev.berth.image.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.image.api.ImageException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docker config.json lookup as the docker CLI does it, with real helper programs (shell scripts
 * speaking the docker-credential-helpers protocol) found on a PATH the test builds.
 */
class CredentialsTest {
    @TempDir Path tmp;

    /** A helper that logs each call and answers per server URL read from stdin. */
    Path helper(String name, String body) throws Exception {
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Path h = bin.resolve("docker-credential-" + name);
        Files.writeString(h, "#!/bin/sh\nserver=$(cat)\necho \"$1 $server\" >> " + tmp.resolve(name + ".log") + "\n" + body);
        Files.setPosixFilePermissions(h, PosixFilePermissions.fromString("rwxr-xr-x"));
        return bin;
    }

    Path config(String json) throws Exception {
        return Files.writeString(tmp.resolve("config.json"), json);
    }

    String log(String name) throws Exception {
        Path l = tmp.resolve(name + ".log");
        return Files.exists(l) ? Files.readString(l) : "";
    }

    @Test void helpersAreFoundAsDockerFindsThemAndRunOnlyWhenUsed() throws Exception {
        String path = helper("store", """
                case "$server" in
                  reg.example:5000) echo '{"ServerURL":"reg.example:5000","Username":"alice","Secret":"from-store"}' ;;
                  https://index.docker.io/v1/) echo '{"ServerURL":"https://index.docker.io/v1/","Username":"<token>","Secret":"refresh-me"}' ;;
                  *) echo "credentials not found in native keychain"; exit 1 ;;
                esac
                """).toString();
        helper("special", "echo '{\"Username\":\"bob\",\"Secret\":\"from-special\"}'\n");
        Path cfg = config("""
                {"auths": {"reg.example:5000": {"auth": "dXNlcjpmaWxl"}, "other.example": {"auth": "dXNlcjpmaWxl"}},
                 "credsStore": "store",
                 "credHelpers": {"special.example": "special"}}""");

        Credentials c = Credentials.lookup(cfg, "reg.example:5000", path);
        assertThat(log("store")).as("not run before use").isEmpty();
        assertThat(c.origin()).isEqualTo("credential helper docker-credential-store (credsStore in " + cfg + ")");
        assertThat(c.username()).isEqualTo("alice");
        assertThat(c.password()).isEqualTo("from-store");
        assertThat(c.basic()).isEqualTo("Basic " + java.util.Base64.getEncoder().encodeToString("alice:from-store".getBytes()));
        assertThat(log("store")).isEqualTo("get reg.example:5000\n");   // once, with the server on stdin

        Credentials special = Credentials.lookup(cfg, "special.example", path);
        assertThat(special.username()).isEqualTo("bob");
        assertThat(special.origin()).contains("docker-credential-special (credHelpers in");

        // Docker Hub is asked for as https://index.docker.io/v1/; "<token>" means an identity token
        Credentials hub = Credentials.lookup(cfg, "docker.io", path);
        assertThat(hub.identityToken()).isEqualTo("refresh-me");
        assertThat(hub.basic()).isNull();
        assertThat(log("store")).endsWith("get https://index.docker.io/v1/\n");

        // with credsStore set, a registry the helper does not know has no credentials (auths are not used, as with docker)
        Credentials other = Credentials.lookup(cfg, "other.example", path);
        assertThat(other.present()).isFalse();
    }

    @Test void helperFailuresNameTheHelper() throws Exception {
        String path = helper("broken", "echo 'error getting credentials: keychain locked' ; exit 3\n").toString();
        helper("garbage", "echo 'not json'\n");
        Path cfg = config("{\"credsStore\": \"broken\", \"credHelpers\": {\"g.example\": \"garbage\", \"m.example\": \"missing\"}}");
        assertThatThrownBy(() -> Credentials.lookup(cfg, "r.example", path).present()).isInstanceOf(ImageException.Registry.class)
                .hasMessage("credential helper docker-credential-broken (credsStore in " + cfg + ") failed for r.example (exit 3): "
                        + "error getting credentials: keychain locked");
        assertThatThrownBy(() -> Credentials.lookup(cfg, "g.example", path).present())
                .hasMessageContaining("docker-credential-garbage (credHelpers in").hasMessageContaining("printed no JSON object for g.example: not json");
        assertThatThrownBy(() -> Credentials.lookup(cfg, "m.example", path).present())
                .hasMessage("credential helper docker-credential-missing (credHelpers in " + cfg + ") is not installed: no docker-credential-missing on PATH");
        Path evil = config("{\"credsStore\": \"../../bin/sh\"}");
        assertThatThrownBy(() -> Credentials.lookup(evil, "r.example", path)).hasMessageContaining("not a helper name");
    }

    @Test void authsEntries() throws Exception {
        Path cfg = config("""
                {"auths": {"https://index.docker.io/v1/": {"auth": "aHViOnB3"},
                           "tok.example": {"identitytoken": "idt"},
                           "plain.example": {"username": "u", "password": "p"}}}""");
        assertThat(Credentials.lookup(cfg, "docker.io").username()).isEqualTo("hub");
        assertThat(Credentials.lookup(cfg, "tok.example").identityToken()).isEqualTo("idt");
        assertThat(Credentials.lookup(cfg, "plain.example").password()).isEqualTo("p");
        assertThat(Credentials.lookup(cfg, "nothing.example")).isNull();
        assertThat(Credentials.lookup(tmp.resolve("absent.json"), "docker.io")).isNull();
    }
}
