package dev.berth.network.firewall;

import dev.berth.sys.Linux;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A private test network: a "host" network namespace of its own (so bridges, sysctls such as
 * ip_forward and the nftables table never touch the machine's), "container" namespaces on bridges
 * in it, busybox httpd servers whose CGI answers the peer address. The calling thread joins the
 * host namespace ({@link #enter}) so that the Firewall and Java sockets work there. Test-only use of
 * {@code ip}.
 */
final class NetLab implements AutoCloseable {
    final String id = "bt" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 20) | (1 << 20));
    final String host = id + "h";
    private final List<String> netns = new ArrayList<>();
    private final List<Process> servers = new ArrayList<>();
    private final Path dir;
    private int origNs = -1;

    NetLab() throws IOException {
        if (!Files.isExecutable(Path.of("/bin/busybox"))) {
            throw new IllegalStateException("test needs /bin/busybox (apt-get install busybox-static)");
        }
        dir = Files.createTempDirectory(id);
        Path cgi = Files.createDirectories(dir.resolve("www/cgi-bin")).resolve("ip");
        Files.writeString(cgi, "#!/bin/busybox sh\necho 'Content-Type: text/plain'\necho\necho \"$REMOTE_ADDR\"\n");
        Files.setPosixFilePermissions(cgi, PosixFilePermissions.fromString("rwxr-xr-x"));
        addNs(host);
        ip(host, "link", "set", "lo", "up");
    }

    void addNs(String name) {
        run("ip", "netns", "add", name);
        netns.add(name);
        ip(name, "link", "set", "lo", "up");
    }

    /** Runs {@code ip ARGS} inside {@code ns}. */
    void ip(String ns, String... args) {
        List<String> cmd = new ArrayList<>(List.of("ip", "-n", ns));
        cmd.addAll(List.of(args));
        run(cmd.toArray(String[]::new));
    }

    void bridge(String br, String cidr) {
        ip(host, "link", "add", br, "type", "bridge");
        ip(host, "addr", "add", cidr, "dev", br);
        ip(host, "link", "set", br, "up");
    }

    /** A container namespace on {@code br} with {@code cidr}, default route via {@code gw}. */
    String container(String name, String br, String cidr, String gw) {
        String ns = id + name;
        addNs(ns);
        String v = id + "v" + name;
        ip(host, "link", "add", v, "type", "veth", "peer", "name", "eth0", "netns", ns);
        ip(host, "link", "set", v, "master", br, "up");
        // What the endpoint code must do too (Docker does): a container reaching its own published
        // port comes back out of the port it came in on, which a bridge refuses otherwise.
        ip(host, "link", "set", v, "type", "bridge_slave", "hairpin", "on");
        ip(ns, "addr", "add", cidr, "dev", "eth0");
        ip(ns, "link", "set", "eth0", "up");
        if (gw != null) {
            ip(ns, "route", "add", "default", "via", gw);
        }
        return ns;
    }

    /** busybox httpd in {@code ns} on {@code port}; /cgi-bin/ip answers the client's address. */
    void httpd(String ns, int port) throws Exception {
        Process p = new ProcessBuilder("ip", "netns", "exec", ns, "/bin/busybox", "httpd", "-f", "-p", Integer.toString(port),
                "-h", dir.resolve("www").toString()).redirectErrorStream(true).redirectOutput(dir.resolve(ns + ".log").toFile()).start();
        servers.add(p);
        for (int i = 0; i < 100; i++) {
            if (sh(ns, "/bin/busybox", "netstat", "-ltn").contains(":" + port + " ")) {
                return;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("httpd in " + ns + " did not listen on " + port);
    }

    /**
     * The address the server saw, from GET /cgi-bin/ip sent from inside {@code ns} (busybox nc: the
     * static busybox's wget crashes here), or null when it cannot connect.
     */
    String wget(String ns, String addr, int port) {
        try {
            Process p = new ProcessBuilder("ip", "netns", "exec", ns, "/bin/busybox", "timeout", "10", "/bin/busybox", "nc",
                    "-w", "3", addr, Integer.toString(port)).redirectErrorStream(true).start();
            try (OutputStream o = p.getOutputStream()) {
                o.write("GET /cgi-bin/ip HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            return p.exitValue() == 0 ? peer(out) : null;
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The same, from the test JVM (its thread is in the host namespace). */
    static String get(String addr, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(addr, port), 3000);
            s.setSoTimeout(5000);
            OutputStream o = s.getOutputStream();
            o.write(("GET /cgi-bin/ip HTTP/1.0\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            o.flush();
            InputStream in = s.getInputStream();
            return peer(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            return null;
        }
    }

    /** The CGI's answer: the last line, "[::ffff:10.0.0.1]" as "10.0.0.1"; null if there is no 200. */
    private static String peer(String resp) {
        if (!resp.startsWith("HTTP/1.") || !resp.contains(" 200 ")) {
            return null;
        }
        String[] lines = resp.strip().split("\r?\n");
        String last = lines[lines.length - 1].strip();
        if (last.startsWith("[") && last.endsWith("]")) {
            last = last.substring(1, last.length() - 1);
        }
        return last.startsWith("::ffff:") ? last.substring(7) : last;
    }

    String sh(String ns, String... cmd) {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        c.addAll(List.of(cmd));
        return run(c.toArray(String[]::new));
    }

    static String run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
            }
            return out;
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(String.join(" ", cmd) + ": " + e, e);
        }
    }

    /** Moves the calling thread into the lab's host namespace (back with {@link #leave}). */
    void enter() {
        if (origNs < 0) {
            origNs = Linux.open("/proc/thread-self/ns/net", Linux.O_RDONLY | Linux.O_CLOEXEC, 0);
        }
        int fd = Linux.open("/run/netns/" + host, Linux.O_RDONLY | Linux.O_CLOEXEC, 0);
        try {
            Linux.setns(fd, Linux.CLONE_NEWNET);
        } finally {
            Linux.close(fd);
        }
    }

    void leave() {
        if (origNs >= 0) {
            Linux.setns(origNs, Linux.CLONE_NEWNET);
        }
    }

    @Override
    public void close() {
        leave();
        if (origNs >= 0) {
            Linux.close(origNs);
            origNs = -1;
        }
        for (Process p : servers) {
            p.destroyForcibly();
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (int i = netns.size() - 1; i >= 0; i--) {
            try {
                run("ip", "netns", "del", netns.get(i));
            } catch (RuntimeException e) {
                System.err.println("cleanup: " + e.getMessage());
            }
        }
        try (var w = Files.walk(dir)) {
            w.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("cleanup: " + e.getMessage());
        }
    }
}
