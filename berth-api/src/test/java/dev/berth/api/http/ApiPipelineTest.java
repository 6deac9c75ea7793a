package dev.berth.api.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.api.system.SystemBackend;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The whole API pipeline (codec, keep-alive, aggregation, request decoding, system handler, 404)
 * on an EmbeddedChannel: raw HTTP bytes in, raw HTTP bytes out, as a client sees them.
 */
class ApiPipelineTest {
    static final SystemBackend.CgroupFacts V1 = new SystemBackend.CgroupFacts("1", true, false, true, true, true, true, true, true, true);
    static final SystemBackend FAKE = new SystemBackend() {
        @Override public HostFacts host() {
            return new HostFacts("6.1.0-test", "Debian GNU/Linux 12 (bookworm)", "12", "x86_64", 3, 4L << 30, "testhost", true, V1);
        }
        @Override public Counts counts() { return new Counts(2, 1, 4, 5); }
        @Override public DaemonFacts daemon() { return new DaemonFacts("ID-1", "/var/lib/berth-test", "ext4"); }
    };

    final EmbeddedChannel ch = new EmbeddedChannel(new ApiInitializer(FAKE, null));

    @AfterEach
    void close() { ch.finishAndReleaseAll(); }

    /** One parsed response. */
    record Response(int status, Map<String, String> headers, String body) {
        String header(String name) { return headers.get(name.toLowerCase(Locale.ROOT)); }
        JsonNode json() throws Exception { return Json.MAPPER.readTree(body); }
    }

    List<Response> exchange(String raw) {
        ch.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1));
        ch.runPendingTasks();
        StringBuilder out = new StringBuilder();
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            out.append(b.toString(StandardCharsets.UTF_8));
            b.release();
        }
        return parse(out.toString());
    }

    Response one(String raw) {
        List<Response> r = exchange(raw);
        assertThat(r).hasSize(1);
        return r.get(0);
    }

    static String get(String path) { return "GET " + path + " HTTP/1.1\r\nHost: docker\r\n\r\n"; }

    /** Splits a byte stream into responses (Content-Length or chunked bodies). */
    static List<Response> parse(String s) {
        List<Response> out = new ArrayList<>();
        int i = 0;
        while (i < s.length()) {
            int end = s.indexOf("\r\n\r\n", i);
            String[] lines = s.substring(i, end).split("\r\n");
            int status = Integer.parseInt(lines[0].split(" ")[1]);
            Map<String, String> h = new LinkedHashMap<>();
            for (int k = 1; k < lines.length; k++) {
                int c = lines[k].indexOf(':');
                h.put(lines[k].substring(0, c).toLowerCase(Locale.ROOT), lines[k].substring(c + 1).trim());
            }
            i = end + 4;
            StringBuilder body = new StringBuilder();
            if ("chunked".equals(h.get("transfer-encoding"))) {
                while (true) {
                    int eol = s.indexOf("\r\n", i);
                    int n = Integer.parseInt(s.substring(i, eol), 16);
                    i = eol + 2;
                    if (n == 0) { i += 2; break; }
                    body.append(s, i, i + n);
                    i += n + 2;
                }
            } else {
                int n = Integer.parseInt(h.getOrDefault("content-length", "0"));
                body.append(s, i, i + n);
                i += n;
            }
            out.add(new Response(status, h, body.toString()));
        }
        return out;
    }

    @Test
    void pingAnswersOkWithDockersHeaders() {
        Response r = one(get("/_ping"));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("OK");
        assertThat(r.header("Api-Version")).isEqualTo("1.50");
        assertThat(r.header("OSType")).isEqualTo("linux");
        assertThat(r.header("Builder-Version")).isEqualTo("1");
        assertThat(r.header("Docker-Experimental")).isEqualTo("false");
        assertThat(r.header("Cache-Control")).isEqualTo("no-cache, no-store, must-revalidate");
        assertThat(r.header("Pragma")).isEqualTo("no-cache");
        assertThat(r.header("Content-Type")).isEqualTo("text/plain; charset=utf-8");
        assertThat(ch.isOpen()).isTrue();
    }

    @Test
    void headPingHasTheHeadersAndNoBody() {
        Response r = one("HEAD /_ping HTTP/1.1\r\nHost: docker\r\n\r\n");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Api-Version")).isEqualTo("1.50");
        assertThat(r.header("Content-Length")).isEqualTo("0");
        assertThat(r.body()).isEmpty();
    }

    @Test
    void versionFollowsSystemVersion() throws Exception {
        Response r = one(get("/v1.50/version"));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Content-Type")).isEqualTo("application/json");
        JsonNode v = r.json();
        assertThat(v.path("ApiVersion").asText()).isEqualTo("1.50");
        assertThat(v.path("MinAPIVersion").asText()).isEqualTo("1.24");
        assertThat(v.path("Os").asText()).isEqualTo("linux");
        assertThat(v.path("Arch").asText()).isNotEmpty();
        assertThat(v.path("KernelVersion").asText()).isEqualTo("6.1.0-test");
        assertThat(v.path("GoVersion").asText()).startsWith("java");
        assertThat(v.path("Components").get(0).path("Name").asText()).isEqualTo("Engine");
        assertThat(v.path("Components").get(0).path("Details").path("ApiVersion").asText()).isEqualTo("1.50");
        assertThat(r.body()).endsWith("}\n");
    }

    @Test
    void infoReportsTheBackendsFiguresChunked() throws Exception {
        Response r = one(get("/info"));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Transfer-Encoding")).isEqualTo("chunked");
        JsonNode i = r.json();
        assertThat(i.path("Containers").asInt()).isEqualTo(7);
        assertThat(i.path("ContainersRunning").asInt()).isEqualTo(2);
        assertThat(i.path("ContainersPaused").asInt()).isEqualTo(1);
        assertThat(i.path("ContainersStopped").asInt()).isEqualTo(4);
        assertThat(i.path("Images").asInt()).isEqualTo(5);
        assertThat(i.path("NCPU").asInt()).isEqualTo(3);
        assertThat(i.path("MemTotal").asLong()).isEqualTo(4L << 30);
        assertThat(i.path("KernelVersion").asText()).isEqualTo("6.1.0-test");
        assertThat(i.path("OperatingSystem").asText()).isEqualTo("Debian GNU/Linux 12 (bookworm)");
        assertThat(i.path("CgroupDriver").asText()).isEqualTo("cgroupfs");
        assertThat(i.path("CgroupVersion").asText()).isEqualTo("1");
        assertThat(i.path("Driver").asText()).isEqualTo("overlay2");
        assertThat(i.path("DockerRootDir").asText()).isEqualTo("/var/lib/berth-test");
        assertThat(i.path("Name").asText()).isEqualTo("testhost");
        assertThat(i.path("ID").asText()).isEqualTo("ID-1");
        assertThat(i.path("ServerVersion").asText()).isNotEmpty();
        assertThat(i.path("Swarm").path("LocalNodeState").asText()).isEqualTo("inactive");
        assertThat(i.path("Warnings").toString()).contains("No swap limit support");
    }

    @Test
    void everySupportedVersionPrefixAndNoneAnswer() {
        for (String p : List.of("/v1.24/version", "/v1.40/version", "/v1.50/version", "/version", "/v1.24/_ping"))
            assertThat(one(get(p)).status()).as(p).isEqualTo(200);
    }

    @Test
    void aVersionAbove150GetsDockers400() throws Exception {
        Response r = one(get("/v1.51/info"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().path("message").asText())
                .isEqualTo("client version 1.51 is too new. Maximum supported API version is 1.50");
        assertThat(ch.isOpen()).isTrue();
    }

    @Test
    void aVersionBelow124GetsDockers400() throws Exception {
        Response r = one(get("/v1.23/version"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().path("message").asText()).startsWith("client version 1.23 is too old. Minimum supported API version is 1.24");
    }

    @Test
    void unknownPathsAndMethodsGetPageNotFound() throws Exception {
        for (String raw : List.of(get("/nope"), get("/v1.50/nope"), get("/v1.50"), get("/vx/info"),
                "POST /_ping HTTP/1.1\r\nHost: d\r\nContent-Length: 0\r\n\r\n", "DELETE /info HTTP/1.1\r\nHost: d\r\n\r\n")) {
            Response r = one(raw);
            assertThat(r.status()).as(raw).isEqualTo(404);
            assertThat(r.body()).as(raw).isEqualTo("{\"message\":\"page not found\"}\n");
            assertThat(r.header("Content-Type")).isEqualTo("application/json");
        }
    }

    @Test
    void keepAliveServesSeveralRequestsOnOneConnection() {
        List<Response> r = exchange(get("/_ping") + get("/v1.50/version") + get("/nope") + get("/info"));
        assertThat(r).extracting(Response::status).containsExactly(200, 200, 404, 200);
        assertThat(ch.isOpen()).isTrue();
    }

    @Test
    void connectionCloseIsHonoured() {
        Response r = one("GET /_ping HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n");
        assertThat(r.status()).isEqualTo(200);
        ch.runPendingTasks();
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void http10WithoutKeepAliveIsClosedAfterTheAnswer() {
        Response r = one("GET /_ping HTTP/1.0\r\n\r\n");
        assertThat(r.status()).isEqualTo(200);
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void chunkedRequestBodiesAreRead() {
        String raw = "POST /v1.50/nope HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n"
                + "5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\n\r\n";
        List<Response> r = exchange(raw + get("/_ping"));
        assertThat(r).extracting(Response::status).containsExactly(404, 200);
    }

    @Test
    void aMalformedRequestLineGets400JsonAndTheConnectionCloses() throws Exception {
        Response r = one("GARBAGE\r\n\r\n");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().path("message").asText()).startsWith("malformed HTTP request");
        assertThat(r.body()).doesNotContain("at io.netty");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void anOversizedHeaderGets400Json() throws Exception {
        Response r = one("GET /_ping HTTP/1.1\r\nHost: d\r\nX-Big: " + "a".repeat(ApiInitializer.MAX_HEADERS + 10) + "\r\n\r\n");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().path("message").asText()).startsWith("malformed HTTP request");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void aBadContentLengthGets400Json() throws Exception {
        Response r = one("POST /info HTTP/1.1\r\nHost: d\r\nContent-Length: lots\r\n\r\n");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().path("message").asText()).startsWith("malformed HTTP request");
    }

    @Test
    void aBadlyEscapedUriGets400Json() throws Exception {
        Response r = one(get("/info?x=%zz"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().path("message").asText()).startsWith("invalid request URI");
    }

    @Test
    void anOversizedBodyGets413Json() throws Exception {
        Response r = one("POST /info HTTP/1.1\r\nHost: d\r\nContent-Length: " + (ApiInitializer.MAX_BODY + 1) + "\r\n\r\n");
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.json().path("message").asText()).contains("request body larger than");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void aFailingBackendGetsA500JsonNotAStackTrace() throws Exception {
        SystemBackend broken = new SystemBackend() {
            @Override public HostFacts host() { return FAKE.host(); }
            @Override public Counts counts() { throw ApiException.internal("cannot read the image store /x: boom"); }
            @Override public DaemonFacts daemon() { return FAKE.daemon(); }
        };
        EmbeddedChannel other = new EmbeddedChannel(new ApiInitializer(broken, null));
        try {
            other.writeInbound(Unpooled.copiedBuffer(get("/info") + get("/_ping"), StandardCharsets.ISO_8859_1));
            StringBuilder out = new StringBuilder();
            ByteBuf b;
            while ((b = other.readOutbound()) != null) {
                out.append(b.toString(StandardCharsets.UTF_8));
                b.release();
            }
            List<Response> r = parse(out.toString());
            assertThat(r).extracting(Response::status).containsExactly(500, 200);
            assertThat(r.get(0).json().path("message").asText()).isEqualTo("cannot read the image store /x: boom");
        } finally {
            other.finishAndReleaseAll();
        }
    }
}
