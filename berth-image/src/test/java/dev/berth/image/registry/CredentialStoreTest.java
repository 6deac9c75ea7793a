package dev.berth.image.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.image.api.ImageException;
import dev.berth.image.api.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** login/logout's writes to a docker config.json (the helper side runs in berth-cli's RegistryCliIT). */
class CredentialStoreTest {
    @TempDir Path tmp;

    @Test void storeKeepsOtherKeysReplacesOldSpellingsAndIsReadBack() throws Exception {
        Path cfg = tmp.resolve("config.json");
        Files.writeString(cfg, """
                {"auths": {"https://reg.example:5000/v2/": {"auth": "b2xkOm9sZA=="}, "other.example": {"auth": "eDp5"}},
                 "psFormat": "table {{.ID}}"}""");
        CredentialStore.store(cfg, "reg.example:5000", "alice", "s3cret");
        var root = Json.MAPPER.readTree(cfg.toFile());
        assertThat(root.path("psFormat").asText()).isEqualTo("table {{.ID}}");
        assertThat(root.path("auths").has("https://reg.example:5000/v2/")).isFalse();
        assertThat(root.at("/auths/reg.example:5000/auth").asText())
                .isEqualTo(Base64.getEncoder().encodeToString("alice:s3cret".getBytes(StandardCharsets.UTF_8)));
        assertThat(root.at("/auths/other.example/auth").asText()).isEqualTo("eDp5");
        Credentials c = Credentials.lookup(cfg, "reg.example:5000", "");
        assertThat(c.username()).isEqualTo("alice");
        assertThat(c.password()).isEqualTo("s3cret");

        assertThat(CredentialStore.erase(cfg, "reg.example:5000")).isTrue();
        assertThat(Credentials.lookup(cfg, "reg.example:5000", "")).isNull();
        assertThat(CredentialStore.erase(cfg, "reg.example:5000")).isFalse();
        assertThat(Json.MAPPER.readTree(cfg.toFile()).at("/auths/other.example/auth").asText()).isEqualTo("eDp5");
        try (var s = Files.list(tmp)) { assertThat(s.toList()).containsExactly(cfg); }   // no temporary file left
    }

    @Test void dockerHubIsKeptUnderItsServerUrl() throws Exception {
        Path cfg = tmp.resolve("d/config.json");
        CredentialStore.store(cfg, "docker.io", "bob", "pw");
        assertThat(Json.MAPPER.readTree(cfg.toFile()).path("auths").has("https://index.docker.io/v1/")).isTrue();
        assertThat(Files.getPosixFilePermissions(cfg)).extracting(Object::toString).containsExactlyInAnyOrder("OWNER_READ", "OWNER_WRITE");
    }

    @Test void aConfigThatIsNotAnObjectIsNamedAndLeftAlone() throws Exception {
        Path cfg = tmp.resolve("config.json");
        Files.writeString(cfg, "[1, 2]");
        assertThatThrownBy(() -> CredentialStore.store(cfg, "r:1", "a", "b"))
                .isInstanceOf(ImageException.Store.class).hasMessage("docker config " + cfg + " is not a JSON object");
        assertThat(Files.readString(cfg)).isEqualTo("[1, 2]");
    }
}
