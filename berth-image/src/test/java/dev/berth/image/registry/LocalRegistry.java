package dev.berth.image.registry;

import dev.berth.image.TestSupport;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * The real distribution registry (Debian's docker-registry) on 127.0.0.1 and a free port, storage
 * in a temp dir; optionally htpasswd, TLS or token auth. close() stops it and deletes its files.
 */
final class LocalRegistry implements AutoCloseable {
    final Path dir;
    final int port;
    final Process process;

    private LocalRegistry(Path dir, int port, Process process) { this.dir = dir; this.port = port; this.process = process; }

    String address() { return "127.0.0.1:" + port; }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) { return s.getLocalPort(); }
    }

    /** {@code authYaml}: an "auth:" section or null; {@code tls}: cert and key paths or null. */
    static LocalRegistry start(Path dir, String authYaml, Path cert, Path key) throws Exception {
        TestSupport.requireTool("/usr/bin/docker-registry");
        int port = freePort();
        Files.createDirectories(dir.resolve("storage"));
        StringBuilder y = new StringBuilder("version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n")
                .append("storage:\n  filesystem:\n    rootdirectory: ").append(dir.resolve("storage")).append("\n  delete:\n    enabled: true\n")
                .append("http:\n  addr: 127.0.0.1:").append(port).append("\n  secret: berth-test\n");
        if (cert != null) y.append("  tls:\n    certificate: ").append(cert).append("\n    key: ").append(key).append('\n');
        if (authYaml != null) y.append(authYaml);
        Files.writeString(dir.resolve("config.yml"), y);
        Process p = new ProcessBuilder("/usr/bin/docker-registry", "serve", dir.resolve("config.yml").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("registry.log").toFile()).start();
        LocalRegistry r = new LocalRegistry(dir, port, p);
        Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
        while (true) {
            try (Socket s = new Socket("127.0.0.1", port)) { return r; }
            catch (IOException e) {
                if (!p.isAlive() || Instant.now().isAfter(deadline)) {
                    r.close();
                    throw new AssertionError("docker-registry did not start: " + Files.readString(dir.resolve("registry.log")));
                }
                Thread.sleep(50);
            }
        }
    }

    /** A self-signed certificate for 127.0.0.1 (openssl). Returns {cert, key}. */
    static Path[] selfSigned(Path dir, String cn) throws Exception {
        Path cert = dir.resolve(cn + ".crt"), key = dir.resolve(cn + ".key");
        TestSupport.run(dir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.toString(), "-out", cert.toString(),
                "-days", "2", "-subj", "/CN=" + cn, "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost");
        return new Path[]{cert, key};
    }

    @Override public void close() {
        process.destroy();
        try {
            if (!process.waitFor(java.util.concurrent.TimeUnit.SECONDS.toMillis(5), java.util.concurrent.TimeUnit.MILLISECONDS)) process.destroyForcibly().waitFor();
        } catch (InterruptedException e) { process.destroyForcibly(); Thread.currentThread().interrupt(); }
        TestSupport.deleteQuietly(dir);
    }
}
