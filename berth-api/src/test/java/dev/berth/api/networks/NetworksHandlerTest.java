package dev.berth.api.networks;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.api.http.ApiAggregator;
import dev.berth.api.http.Json;
import dev.berth.api.http.NotFoundHandler;
import dev.berth.api.http.RequestDecoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The networks group on an EmbeddedChannel: raw HTTP in, status and JSON body out. */
class NetworksHandlerTest {
    final EmbeddedChannel ch = new EmbeddedChannel(new HttpServerCodec(), new ApiAggregator(1 << 20), new RequestDecoder(),
            new NetworksHandler(null), new NotFoundHandler());

    @AfterEach
    void close() { ch.finishAndReleaseAll(); }

    record Res(int status, JsonNode body) {}

    Res send(String method, String path, String body) throws Exception {
        String raw = method + " " + path + " HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: "
                + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body;
        ch.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.UTF_8));
        ch.runPendingTasks();
        StringBuilder out = new StringBuilder();
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            out.append(b.toString(StandardCharsets.UTF_8));
            b.release();
        }
        String s = out.toString();
        int status = Integer.parseInt(s.substring(9, 12));
        String payload = s.substring(s.indexOf("\r\n\r\n") + 4);
        if (s.toLowerCase().contains("transfer-encoding: chunked")) payload = payload.substring(payload.indexOf("\r\n") + 2);
        int end = payload.lastIndexOf('}') > payload.lastIndexOf(']') ? payload.lastIndexOf('}') : payload.lastIndexOf(']');
        return new Res(status, end < 0 ? null : Json.MAPPER.readTree(payload.substring(0, end + 1)));
    }

    @Test
    void listsAndInspectsThePredefinedNetworks() throws Exception {
        Res all = send("GET", "/v1.50/networks", "");
        assertThat(all.status()).isEqualTo(200);
        assertThat(all.body().findValuesAsText("Name")).containsExactly("bridge", "host", "none");
        assertThat(java.util.stream.StreamSupport.stream(all.body().spliterator(), false).map(n -> n.get("Driver").asText()).toList()).containsExactly("bridge", "host", "null");
        Res host = send("GET", "/networks/host", "");
        assertThat(host.body().get("Scope").asText()).isEqualTo("local");
        String id = host.body().get("Id").asText();
        assertThat(id).hasSize(64);
        assertThat(send("GET", "/networks/" + id.substring(0, 12), "").body().get("Name").asText()).isEqualTo("host");
        Res filtered = send("GET", "/networks?filters=%7B%22name%22%3A%7B%22ho%22%3Atrue%7D%7D", "");
        assertThat(filtered.body().findValuesAsText("Name")).containsExactly("host");
        assertThat(send("GET", "/networks?filters=%7B%22label%22%3A%5B%22a%22%5D%7D", "").body()).isEmpty();
        assertThat(send("GET", "/networks?filters=%7B%22bogus%22%3A%5B%22a%22%5D%7D", "").status()).isEqualTo(400);
    }

    @Test
    void refusesWhatItCannotDo() throws Exception {
        Res unknown = send("GET", "/networks/nope", "");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.body().get("message").asText()).isEqualTo("network nope not found");
        Res create = send("POST", "/networks/create", "{\"Name\":\"p_default\"}");
        assertThat(create.status()).isEqualTo(501);
        assertThat(create.body().get("message").asText()).startsWith("berth cannot create networks here");
        assertThat(send("POST", "/networks/create", "{\"Name\":\"host\"}").status()).isEqualTo(403);
        assertThat(send("POST", "/networks/create", "{bad").status()).isEqualTo(400);
        Res rm = send("DELETE", "/networks/bridge", "");
        assertThat(rm.status()).isEqualTo(403);
        assertThat(rm.body().get("message").asText()).isEqualTo("bridge is a pre-defined network and cannot be removed");
        assertThat(send("POST", "/networks/host/connect", "{\"Container\":\"x\"}").status()).isEqualTo(501);
        assertThat(send("POST", "/networks/prune", "").body().get("NetworksDeleted")).isEmpty();
    }
}
