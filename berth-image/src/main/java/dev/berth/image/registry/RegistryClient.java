package dev.berth.image.registry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.ImageReference;
import dev.berth.image.api.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * The one caller of registry endpoints for one registry: picks HTTPS (or plain HTTP where allowed
 * and HTTPS fails), authenticates on 401, retries I/O errors, 429 and 5xx with backoff, and turns
 * registry error bodies into one-line {@link ImageException.Registry} messages.
 */
public final class RegistryClient {
    static {
        // The JDK client reads sockets into 16 KiB buffers: a blob download is then ~10 000
        // reads, selector wake-ups and hand-overs. Bigger buffers (here, unless set by the user).
        if (System.getProperty("jdk.httpclient.bufsize") == null) System.setProperty("jdk.httpclient.bufsize", String.valueOf(1 << 18));
    }

    private final String registry;
    private final RegistryOptions options;
    private final HttpClient plainClient;
    private volatile HttpClient tlsClient;
    private volatile HttpClient http;
    private final Authenticator auth;
    private volatile URI base;

    public RegistryClient(String registry, RegistryOptions options) { this(registry, options, null); }

    /** With {@code credentials} instead of those the docker config names (login checks them so). */
    public RegistryClient(String registry, RegistryOptions options, Credentials credentials) {
        this.registry = registry;
        this.options = options;
        // Loading CA certificates costs hundreds of ms: the plain-HTTP client gets a context that
        // trusts nothing (never used for TLS; set up only if it ever is) and explicit (default)
        // SSL parameters, so that building it initialises no TLS at all; the TLS client is built
        // on first use.
        this.plainClient = builder().sslContext(new LazySslContext(RegistryClient::noTrust))
                .sslParameters(new javax.net.ssl.SSLParameters()).build();
        this.auth = new Authenticator(this::clientFor,
                credentials != null ? credentials : options.credentials() != null ? options.credentials()
                        : Credentials.lookup(options.dockerConfig(), registry), registry);
    }

    /**
     * GET /v2/, authenticating as the registry asks (a token without scope for Bearer, as docker
     * login does): succeeds only if the registry accepts the credentials.
     */
    public void ping() {
        call(new RegistryEndpoint<Void>() {
            @Override public String describe() { return "log in to " + registry; }
            @Override public List<String> scopes() { return List.of(); }
            @Override public HttpRequest.Builder request(URI base) { return HttpRequest.newBuilder(base.resolve("/v2/")).GET(); }
            @Override public Set<Integer> ok() { return Set.of(200); }
            @Override public Void handle(HttpResponse<InputStream> r) throws IOException {
                try (InputStream in = r.body()) { in.transferTo(OutputStream.nullOutputStream()); }
                return null;
            }
        });
    }

    private HttpClient.Builder builder() {
        return HttpClient.newBuilder().connectTimeout(options.timeout())
                .followRedirects(HttpClient.Redirect.NORMAL).version(HttpClient.Version.HTTP_1_1);
    }

    private HttpClient tls() {
        HttpClient c = tlsClient;
        if (c == null) {
            synchronized (this) {
                if (tlsClient == null) tlsClient = builder().sslContext(sslContext(options.ca())).build();
                c = tlsClient;
            }
        }
        return c;
    }

    /** The client for a URI's scheme. */
    HttpClient clientFor(URI u) { return "https".equalsIgnoreCase(u.getScheme()) ? tls() : plainClient; }

    private static SSLContext noTrust() {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[]{new X509TrustManager() {
                @Override public void checkClientTrusted(X509Certificate[] c, String t) throws CertificateException { throw new CertificateException("plain HTTP client"); }
                @Override public void checkServerTrusted(X509Certificate[] c, String t) throws CertificateException { throw new CertificateException("plain HTTP client"); }
                @Override public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
            }}, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An SSLContext whose real context is made on first use (the plain client's: normally never). */
    private static final class LazySslContext extends SSLContext {
        LazySslContext(java.util.function.Supplier<SSLContext> real) {
            super(new javax.net.ssl.SSLContextSpi() {
                private SSLContext ctx;
                private synchronized SSLContext ctx() { return ctx == null ? ctx = real.get() : ctx; }
                @Override protected void engineInit(javax.net.ssl.KeyManager[] k, TrustManager[] t, java.security.SecureRandom r) {
                    throw new UnsupportedOperationException("already initialised");
                }
                @Override protected javax.net.ssl.SSLSocketFactory engineGetSocketFactory() { return ctx().getSocketFactory(); }
                @Override protected javax.net.ssl.SSLServerSocketFactory engineGetServerSocketFactory() { return ctx().getServerSocketFactory(); }
                @Override protected javax.net.ssl.SSLEngine engineCreateSSLEngine() { return ctx().createSSLEngine(); }
                @Override protected javax.net.ssl.SSLEngine engineCreateSSLEngine(String host, int port) { return ctx().createSSLEngine(host, port); }
                @Override protected javax.net.ssl.SSLSessionContext engineGetServerSessionContext() { return ctx().getServerSessionContext(); }
                @Override protected javax.net.ssl.SSLSessionContext engineGetClientSessionContext() { return ctx().getClientSessionContext(); }
                @Override protected javax.net.ssl.SSLParameters engineGetDefaultSSLParameters() { return ctx().getDefaultSSLParameters(); }
                @Override protected javax.net.ssl.SSLParameters engineGetSupportedSSLParameters() { return ctx().getSupportedSSLParameters(); }
            }, null, "TLS");
        }
    }

    public String registry() { return registry; }
    public RegistryOptions options() { return options; }

    private static String host(String registry) {
        return registry.equals(ImageReference.DOCKER_HUB) ? "registry-1.docker.io" : registry;
    }

    /** Debian's CA bundle (update-ca-certificates): admin-installed CAs, as docker trusts them. */
    static final Path SYSTEM_BUNDLE = Path.of("/etc/ssl/certs/ca-certificates.crt");

    /** Trusts the JDK's CAs, the system bundle (if present) and the PEM certificates in {@code ca} (if given). */
    static SSLContext sslContext(Path ca) {
        try {
            TrustManagerFactory sys = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            sys.init((KeyStore) null);
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            int i = 0;
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            if (Files.isReadable(SYSTEM_BUNDLE)) {
                try (InputStream in = Files.newInputStream(SYSTEM_BUNDLE)) {
                    for (var c : cf.generateCertificates(in)) ks.setCertificateEntry("system" + i++, c);
                } catch (CertificateException e) {
                    // unreadable bundle: the JDK's CAs still apply
                }
            }
            if (ca != null) {
                int before = i;
                try (InputStream in = Files.newInputStream(ca)) {
                    for (var c : cf.generateCertificates(in)) ks.setCertificateEntry("ca" + i++, c);
                }
                if (i == before) throw new ImageException.Store("no certificate in " + ca, null);
            }
            if (i == 0) return SSLContext.getDefault();
            TrustManagerFactory extra = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            extra.init(ks);
            X509TrustManager a = (X509TrustManager) sys.getTrustManagers()[0];
            X509TrustManager e = (X509TrustManager) extra.getTrustManagers()[0];
            X509TrustManager both = new X509TrustManager() {
                @Override public void checkClientTrusted(X509Certificate[] chain, String t) throws CertificateException { a.checkClientTrusted(chain, t); }
                @Override public void checkServerTrusted(X509Certificate[] chain, String t) throws CertificateException {
                    try { e.checkServerTrusted(chain, t); } catch (CertificateException x) { a.checkServerTrusted(chain, t); }
                }
                @Override public X509Certificate[] getAcceptedIssuers() {
                    List<X509Certificate> l = new ArrayList<>(List.of(a.getAcceptedIssuers()));
                    l.addAll(List.of(e.getAcceptedIssuers()));
                    return l.toArray(X509Certificate[]::new);
                }
            };
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[]{both}, null);
            return ctx;
        } catch (IOException | GeneralSecurityException e) {
            throw new ImageException.Store("cannot load CA certificates" + (ca != null ? " from " + ca : "") + ": " + e.getMessage(), e);
        }
    }

    /**
     * https://host, or http://host where plain HTTP is allowed and the registry speaks it. Probed
     * once with GET /v2/. Loopback registries are probed over plain HTTP first (cheap: no TLS set-up;
     * a TLS registry answers a plain request with 400 or drops it, and HTTPS is used); others, and
     * --insecure-registry ones, over HTTPS first.
     */
    URI base() throws InterruptedException {
        if (base != null) return base;
        URI https = URI.create("https://" + host(registry));
        URI plain = URI.create("http://" + host(registry));
        if (options.loopback(registry)) {
            try {
                HttpResponse<Void> r = plainClient.send(HttpRequest.newBuilder(plain.resolve("/v2/")).timeout(options.timeout()).GET().build(),
                        HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() != 400 && r.headers().firstValue("Docker-Distribution-Api-Version").isPresent()) {
                    http = plainClient;
                    return base = plain;
                }
            } catch (IOException e) {
                // not plain HTTP (or not there): HTTPS below says which
            }
        }
        try {
            tls().send(HttpRequest.newBuilder(https.resolve("/v2/")).timeout(options.timeout()).GET().build(), HttpResponse.BodyHandlers.discarding());
            http = tls();
            return base = https;
        } catch (IOException e) {
            if (!options.plainHttpAllowed(registry) || certificateProblem(e))
                throw new ImageException.Registry(0, "cannot reach https://" + host(registry) + "/v2/: " + message(e)
                        + (e instanceof SSLException || certificateProblem(e) ? " (use --ca for a private CA, or --insecure-registry " + registry + ")" : ""), e);
            try {
                plainClient.send(HttpRequest.newBuilder(plain.resolve("/v2/")).timeout(options.timeout()).GET().build(), HttpResponse.BodyHandlers.discarding());
                http = plainClient;
            } catch (IOException e2) {
                throw new ImageException.Registry(0, "cannot reach registry " + registry + " over https (" + message(e) + ") or http (" + message(e2) + ")", e2);
            }
            return base = plain;
        }
    }

    /** The server speaks TLS but its certificate is not trusted: never fall back to plain HTTP then. */
    private static boolean certificateProblem(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof CertificateException) return true;
            if (t.getMessage() != null && (t.getMessage().contains("PKIX") || t.getMessage().contains("No subject alternative")
                    || t.getMessage().contains("certificate"))) return true;
        }
        return false;
    }

    private static String message(Throwable e) {
        String m = e.getMessage();
        if (m == null && e.getCause() != null) m = e.getCause().getMessage();
        return (e instanceof ConnectException ? "connection refused" : m == null ? e.getClass().getSimpleName() : m);
    }

    /** Runs one endpoint with authentication and retries. */
    public <T> T call(RegistryEndpoint<T> ep) {
        int attempt = 0;
        boolean authRetried = false;
        while (true) {
            try {
                HttpRequest.Builder rb = ep.request(base()).timeout(options.timeout());
                String h = auth.header(ep.scopes());
                if (h != null) rb.header("Authorization", h);
                HttpResponse<InputStream> r = http.send(rb.build(), HttpResponse.BodyHandlers.ofInputStream());
                int s = r.statusCode();
                if (ep.ok().contains(s)) return ep.handle(r);
                byte[] body;
                try (InputStream in = r.body()) { body = in.readNBytes(64 << 10); }
                if (s == 401) {
                    // asked again after a retry too: a refusal of what was sent is named with where it came from
                    boolean retry = auth.challenge(r.headers().firstValue("WWW-Authenticate").orElse(null), ep.scopes(), h);
                    if (retry && !authRetried) {
                        authRetried = true;
                        continue;
                    }
                }
                if ((s == 429 || s >= 500) && ep.retryable() && attempt < options.retries()) {
                    backoff(attempt++);
                    continue;
                }
                throw new ImageException.Registry(s, ep.describe() + ": " + registry + " answered " + s + errorText(body), null);
            } catch (IOException e) {
                if (ep.retryable() && attempt < options.retries()) {
                    try { backoff(attempt++); } catch (InterruptedException ie) { Thread.currentThread().interrupt(); throw new ImageException.Registry(0, "interrupted", ie); }
                    continue;
                }
                throw new ImageException.Registry(0, ep.describe() + ": " + message(e), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ImageException.Registry(0, ep.describe() + ": interrupted", e);
            }
        }
    }

    private static void backoff(int attempt) throws InterruptedException {
        Thread.sleep(Math.min(8000, 250L << attempt));
    }

    static String errorText(byte[] body) {
        try {
            JsonNode j = Json.MAPPER.readTree(body);
            StringBuilder sb = new StringBuilder();
            for (JsonNode e : j.path("errors")) {
                sb.append(sb.isEmpty() ? " (" : "; ").append(e.path("code").asText()).append(": ").append(e.path("message").asText());
            }
            return sb.isEmpty() ? "" : sb.append(')').toString();
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }
}
