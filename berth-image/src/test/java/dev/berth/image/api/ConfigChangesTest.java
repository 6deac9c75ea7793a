package dev.berth.image.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** docker import/commit --change instructions on an image config. */
class ConfigChangesTest {
    @Test void instructionsAsDockerAppliesThem() throws Exception {
        ObjectNode cfg = (ObjectNode) Json.MAPPER.readTree("{\"Env\":[\"PATH=/bin\",\"A=old\"],\"Cmd\":[\"sh\"]}");
        ConfigChanges.parse(List.of("ENTRYPOINT [\"/bin/app\", \"--flag\"]", "cmd serve now", "ENV A=new B=\"two words\"", "ENV C legacy form",
                "WORKDIR /srv", "USER app:app", "LABEL org.example=\"x y\"", "EXPOSE 80 53/udp", "STOPSIGNAL SIGQUIT", "VOLUME [\"/data\"]")).applyTo(cfg);
        assertThat(cfg.get("Entrypoint").toString()).isEqualTo("[\"/bin/app\",\"--flag\"]");
        assertThat(cfg.get("Cmd").toString()).isEqualTo("[\"/bin/sh\",\"-c\",\"serve now\"]");
        assertThat(cfg.get("Env").toString()).isEqualTo("[\"PATH=/bin\",\"A=new\",\"B=two words\",\"C=legacy form\"]");
        assertThat(cfg.get("WorkingDir").asText()).isEqualTo("/srv");
        assertThat(cfg.get("User").asText()).isEqualTo("app:app");
        assertThat(cfg.get("Labels").get("org.example").asText()).isEqualTo("x y");
        assertThat(cfg.get("ExposedPorts").fieldNames()).toIterable().containsExactly("80/tcp", "53/udp");
        assertThat(cfg.get("StopSignal").asText()).isEqualTo("SIGQUIT");
        assertThat(cfg.get("Volumes").has("/data")).isTrue();
        ObjectNode empty = Json.MAPPER.createObjectNode();
        ConfigChanges.parse(List.of("CMD []")).applyTo(empty);
        assertThat(empty.get("Cmd")).isEmpty();
    }

    @Test void badInstructionsFailAtParse() {
        assertThatThrownBy(() -> ConfigChanges.parse(List.of("RUN rm -rf /"))).isInstanceOf(ImageException.InvalidReference.class)
                .hasMessageStartingWith("unsupported --change \"RUN rm -rf /\"");
        assertThatThrownBy(() -> ConfigChanges.parse(List.of("CMD [\"unterminated\""))).hasMessageContaining("invalid JSON array");
        assertThatThrownBy(() -> ConfigChanges.parse(List.of("ENV"))).hasMessageContaining("needs an argument");
        assertThatThrownBy(() -> ConfigChanges.parse(List.of("EXPOSE http"))).hasMessageContaining("invalid port http");
        assertThatThrownBy(() -> ConfigChanges.parse(List.of("ENV A=\"open"))).hasMessageContaining("invalid quoting");
    }
}
