package dev.berth.image.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.image.Images;
import dev.berth.image.TestSupport;
import dev.berth.image.api.Descriptor;
import dev.berth.image.api.Digest;
import dev.berth.image.api.ImageReference;
import dev.berth.image.api.Json;
import dev.berth.image.api.Platform;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Docker Engine API progress messages from a real push and pull (docker-registry on 127.0.0.1). */
class JsonProgressTest {
    @TempDir Path tmp;

    static List<JsonNode> parse(ConcurrentLinkedQueue<String> lines) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String l : lines) {
            assertThat(l).doesNotContain("\n");
            JsonNode n = Json.MAPPER.readTree(l);
            assertThat(n.isObject()).isTrue();
            out.add(n);
        }
        return out;
    }

    static List<String> statuses(List<JsonNode> msgs, String id) {
        return msgs.stream().filter(m -> id.equals(m.path("id").asText(null))).map(m -> m.path("status").asText()).distinct().toList();
    }

    @Test void pushAndPullStreamWhatDockerClientsRead() throws Exception {
        try (LocalRegistry reg = LocalRegistry.start(tmp.resolve("reg"), null, null, null)) {
            Images a = Images.open(tmp.resolve("src"));
            Path rootfs = TestSupport.busyboxRootfs(tmp.resolve("rootfs"));
            byte[] noise = new byte[2 << 20];
            new Random(3).nextBytes(noise);
            Files.write(rootfs.resolve("noise.bin"), noise);
            a.importRootfs(rootfs, ImageReference.parse("json:1"), Platform.DEFAULT);
            Descriptor layer = a.store().manifest(a.store().resolve("json:1")).layers().getFirst();
            String id = layer.digestValue().shortHex();
            RegistryOptions opts = RegistryOptions.DEFAULT.withDockerConfig(tmp.resolve("none.json"));
            ImageReference target = ImageReference.parse(reg.address() + "/json/img:1");

            ConcurrentLinkedQueue<String> lines = new ConcurrentLinkedQueue<>();
            JsonProgress push = JsonProgress.to(lines::add);
            push.pushStarted(target);
            Digest pushed = a.push("json:1", target, opts, push);
            long size = a.store().readBlob(pushed).length;
            push.pushed(target, pushed, size);
            List<JsonNode> msgs = parse(lines);
            assertThat(msgs.getFirst().get("status").asText()).isEqualTo("The push refers to repository [" + reg.address() + "/json/img]");
            assertThat(statuses(msgs, id)).containsExactly("Preparing", "Pushing", "Pushed");
            // the layer's own last message: the config blob is pushed beside it, and under load its "Pushing" may come last
            JsonNode pushing = msgs.stream().filter(m -> m.path("status").asText().equals("Pushing") && m.path("id").asText().equals(id))
                    .reduce((x, y) -> y).orElseThrow();
            assertThat(pushing.get("progressDetail").get("current").asLong()).isEqualTo(layer.size());
            assertThat(pushing.get("progressDetail").get("total").asLong()).isEqualTo(layer.size());
            assertThat(pushing.get("progress").asText()).startsWith("[" + "=".repeat(50) + ">]").endsWith("/" + JsonProgress.human(layer.size()));
            assertThat(msgs.get(msgs.size() - 2).get("status").asText()).isEqualTo("1: digest: " + pushed + " size: " + size);
            JsonNode aux = msgs.getLast().get("aux");
            assertThat(aux.get("Tag").asText()).isEqualTo("1");
            assertThat(aux.get("Digest").asText()).isEqualTo(pushed.toString());
            assertThat(aux.get("Size").asLong()).isEqualTo(size);

            lines.clear();
            Images b = Images.open(tmp.resolve("dst"));
            JsonProgress pull = JsonProgress.to(lines::add);
            pull.pullStarted(target);
            Descriptor d = b.pull(target, Platform.DEFAULT, opts, pull);
            pull.pulled(target, d.digestValue(), true);
            msgs = parse(lines);
            assertThat(msgs.getFirst().get("status").asText()).isEqualTo("Pulling from json/img");
            assertThat(msgs.getFirst().get("id").asText()).isEqualTo("1");
            assertThat(statuses(msgs, id)).containsExactly("Pulling fs layer", "Downloading", "Verifying Checksum", "Download complete",
                    "Extracting", "Pull complete");
            List<JsonNode> downloading = msgs.stream().filter(m -> m.path("status").asText().equals("Downloading")).toList();
            assertThat(downloading).allMatch(m -> m.get("progressDetail").get("total").asLong() == layer.size());
            assertThat(downloading.getLast().get("progressDetail").get("current").asLong()).isEqualTo(layer.size());
            assertThat(downloading.size()).as("throttled to one per 512 KiB").isLessThanOrEqualTo((int) (layer.size() / JsonProgress.EVERY) + 2);
            assertThat(msgs.get(msgs.size() - 2).get("status").asText()).isEqualTo("Digest: " + d.digest());
            assertThat(msgs.getLast().get("status").asText()).isEqualTo("Status: Downloaded newer image for " + target.familiar());

            lines.clear();
            b.pull(target, Platform.DEFAULT, opts, JsonProgress.to(lines::add));
            assertThat(statuses(parse(lines), id)).containsExactly("Already exists");
        }
    }

    @Test void errorsAndSizes() throws Exception {
        ConcurrentLinkedQueue<String> lines = new ConcurrentLinkedQueue<>();
        JsonProgress.to(lines::add).error("pull json/img:2: 127.0.0.1:5000 answered 404");
        JsonNode e = Json.MAPPER.readTree(lines.peek());
        assertThat(e.get("error").asText()).isEqualTo("pull json/img:2: 127.0.0.1:5000 answered 404");
        assertThat(e.get("errorDetail").get("message").asText()).isEqualTo(e.get("error").asText());
        assertThat(JsonProgress.human(3_145_728)).isEqualTo("3.146MB");
        assertThat(JsonProgress.human(999)).isEqualTo("999B");
        assertThat(JsonProgress.human(1_000_000)).isEqualTo("1MB");
        assertThat(JsonProgress.bar(0, 10)).isEqualTo("[>" + " ".repeat(50) + "]       0B/10B");
    }
}
