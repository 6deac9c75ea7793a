package dev.berth.image.registry;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small token issuer for the registry's {@code auth: token} mode (the Docker Hub flow): checks
 * basic credentials, grants the requested scopes, signs an RS256 JWT carrying its certificate in
 * {@code x5c}; the registry trusts that certificate through {@code rootcertbundle}. Test
 * infrastructure only: the registry that verifies the tokens is the real one.
 */
final class TokenServer implements AutoCloseable {
    final HttpServer server;
    final AtomicInteger issued = new AtomicInteger();

    final AtomicInteger refreshed = new AtomicInteger();

    TokenServer(Path cert, Path key, String user, String password, String service, String issuer) throws Exception {
        this(cert, key, user, password, null, service, issuer);
    }

    /**
     * With {@code refreshToken}: also the OAuth2 flow docker uses for identity tokens, a POST of
     * {@code grant_type=refresh_token&refresh_token=...&scope=...} answered with {@code access_token}.
     */
    TokenServer(Path cert, Path key, String user, String password, String refreshToken, String service, String issuer) throws Exception {
        X509Certificate c = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(Files.newInputStream(cert));
        String pem = Files.readString(key).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        PrivateKey pk = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(pem)));
        String x5c = Base64.getEncoder().encodeToString(c.getEncoded());
        String expected = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/token", ex -> {
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            List<String> scopes = new ArrayList<>();
            boolean post = ex.getRequestMethod().equals("POST");
            String q = post ? new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8) : ex.getRequestURI().getRawQuery();
            String grant = null, refresh = null;
            if (q != null) for (String kv : q.split("&")) {
                String v = URLDecoder.decode(kv.substring(kv.indexOf('=') + 1), StandardCharsets.UTF_8);
                if (kv.startsWith("scope=")) { for (String sc : v.split(" ")) if (!sc.isEmpty()) scopes.add(sc); }
                else if (kv.startsWith("grant_type=")) grant = v;
                else if (kv.startsWith("refresh_token=")) refresh = v;
            }
            boolean allowed = post ? refreshToken != null && "refresh_token".equals(grant) && refreshToken.equals(refresh) : expected.equals(auth);
            if (post && allowed) refreshed.incrementAndGet();
            byte[] body;
            int status;
            if (!allowed) {
                status = 401;
                body = "{\"details\":\"bad credentials\"}".getBytes(StandardCharsets.UTF_8);
            } else {
                StringBuilder access = new StringBuilder("[");
                for (String s : scopes) {
                    String[] p = s.split(":");
                    if (access.length() > 1) access.append(',');
                    access.append("{\"type\":\"").append(p[0]).append("\",\"name\":\"").append(p[1]).append("\",\"actions\":[");
                    String[] acts = p[2].split(",");
                    for (int i = 0; i < acts.length; i++) access.append(i > 0 ? "," : "").append('"').append(acts[i]).append('"');
                    access.append("]}");
                }
                access.append(']');
                long now = System.currentTimeMillis() / 1000;
                String header = "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"x5c\":[\"" + x5c + "\"]}";
                String claims = "{\"iss\":\"" + issuer + "\",\"sub\":\"" + user + "\",\"aud\":\"" + service + "\",\"exp\":" + (now + 300)
                        + ",\"nbf\":" + (now - 10) + ",\"iat\":" + now + ",\"jti\":\"" + UUID.randomUUID() + "\",\"access\":" + access + "}";
                Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
                String signing = b64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "." + b64.encodeToString(claims.getBytes(StandardCharsets.UTF_8));
                try {
                    Signature sig = Signature.getInstance("SHA256withRSA");
                    sig.initSign(pk);
                    sig.update(signing.getBytes(StandardCharsets.UTF_8));
                    String jwt = signing + "." + b64.encodeToString(sig.sign());
                    body = ((post ? "{\"access_token\":\"" : "{\"token\":\"") + jwt + "\",\"expires_in\":300}").getBytes(StandardCharsets.UTF_8);
                    status = 200;
                    issued.incrementAndGet();
                } catch (Exception e) {
                    status = 500;
                    body = e.toString().getBytes(StandardCharsets.UTF_8);
                }
            }
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(status, body.length);
            try (OutputStream os = ex.getResponseBody()) { os.write(body); }
        });
        server.start();
    }

    String realm() { return "http://127.0.0.1:" + server.getAddress().getPort() + "/token"; }

    @Override public void close() { server.stop(0); }
}
