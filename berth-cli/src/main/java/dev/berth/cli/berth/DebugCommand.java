package dev.berth.cli.berth;

import static dev.berth.cli.berth.BerthdClient.readBody;
import static dev.berth.cli.berth.BerthdClient.readFully;
import static dev.berth.cli.berth.BerthdClient.readLine;
import static dev.berth.cli.berth.BerthdClient.refused;
import static dev.berth.cli.berth.BerthdClient.request;
import static dev.berth.cli.berth.BerthdClient.socket;
import static dev.berth.cli.berth.BerthdClient.writeAll;

import dev.berth.cli.berth.BerthdClient.Refused;
import dev.berth.cli.berth.BerthdClient.Response;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.image.api.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code berth debug [--image TOOLS] [-T] CONTAINER [-- CMD...]}: a shell (or CMD) from a tools
 * image attached to a running container of berthd (issue 13): berthd's {@code POST
 * /containers/{id}/debug}, then {@code POST /exec/{id}/start} as a hijacked stream, then the exit
 * code from {@code GET /exec/{id}/json}. The container's processes are in {@code ps}, its files at
 * /container; nothing is written into it; leaving removes every trace.
 */
@Command(name = "debug", description = {
        "Attach a tools image to a running berthd container: a shell (or CMD) whose root is the tools image, in the",
        "container's pid, network, ipc, uts and cgroup namespaces and cgroup, with the container's files at /container.",
        "Exit status: CMD's; 1 when berthd refused (the message says why), 3 no such container or tools image."})
final class DebugCommand implements Callable<Integer> {
    @Option(names = {"-H", "--host"}, paramLabel = "unix:///PATH", description = "berthd's socket (default $BERTHD_HOST or unix:///run/berth/berth.sock)")
    String host;
    @Option(names = "--image", paramLabel = "TOOLS", description = "tools image (default busybox:latest)") String image;
    @Option(names = {"-T", "--no-tty"}, description = "no terminal, even when stdin is one") boolean noTty;
    @Parameters(index = "0", paramLabel = "CONTAINER") String container;
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;
    @Parameters(index = "1..*", paramLabel = "CMD", description = "command in the tools image (default: its own, e.g. sh)") List<String> cmd = new ArrayList<>();

    @Override public Integer call() throws Exception {
        if (!cmd.isEmpty() && cmd.getFirst().equals("--")) cmd = cmd.subList(1, cmd.size()); // CONTAINER -- CMD
        java.io.Console console = System.console();
        boolean tty = !noTty && console != null && console.isTerminal();
        Path sock = socket(host);
        try {
            return run(sock, tty, System.in, System.out, System.err);
        } catch (Refused e) {
            spec.commandLine().getErr().println("berth: debug " + container + ": " + e.getMessage());
            spec.commandLine().getErr().flush();
            return e.status == 404 ? 3 : 1;
        }
    }

    /** Runs the session over {@code sock}; returns the process's exit code. */
    int run(Path sock, boolean tty, InputStream in, PrintStream out, PrintStream err) throws IOException, InterruptedException {
        if (!Files.exists(sock)) throw new IllegalStateException("cannot reach berthd: no socket at " + sock + " (is berthd running? -H unix:///PATH)");
        ObjectNode body = Json.MAPPER.createObjectNode();
        if (image != null) body.put("Image", image);
        if (!cmd.isEmpty()) { var a = body.putArray("Cmd"); cmd.forEach(a::add); }
        body.put("Tty", tty).put("AttachStdin", true).put("AttachStdout", true).put("AttachStderr", true);
        String[] size = tty ? sttySize() : null;
        if (size != null) body.putArray("ConsoleSize").add(Integer.parseInt(size[0])).add(Integer.parseInt(size[1]));
        Response r = request(sock, "POST", "/containers/" + container + "/debug", Json.MAPPER.writeValueAsBytes(body));
        if (r.status() != 201) throw refused(r);
        String id = Json.MAPPER.readTree(r.body()).path("Id").asText();
        String saved = tty ? stty("-g") : null;
        try {
            if (tty) stty("raw", "-echo");
            stream(sock, id, tty, in, out, err);
        } finally {
            if (saved != null) stty(saved.strip());
        }
        Response i = request(sock, "GET", "/exec/" + id + "/json", null);
        if (i.status() != 200) throw refused(i);
        JsonNode code = Json.MAPPER.readTree(i.body()).path("ExitCode");
        return code.isInt() ? code.intValue() : 1;
    }

    /** POST /exec/{id}/start, hijacked: stdin to the process, its output (multiplexed without a terminal) to out/err. */
    private static void stream(Path sock, String id, boolean tty, InputStream in, PrintStream out, PrintStream err) throws IOException, InterruptedException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(sock));
        byte[] body = ("{\"Detach\":false,\"Tty\":" + tty + "}").getBytes(StandardCharsets.UTF_8);
        String head = "POST /exec/" + id + "/start HTTP/1.1\r\nHost: berth\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
                + "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n";
        writeAll(ch, head.getBytes(StandardCharsets.US_ASCII));
        writeAll(ch, body);
        InputStream sin = Channels.newInputStream(ch);
        String status = readLine(sin);
        List<String> headers = new ArrayList<>();
        for (String h; !(h = readLine(sin)).isEmpty(); ) headers.add(h);
        if (!status.contains(" 101 ") && !status.contains(" 200 ")) {
            int st = status.length() > 12 ? Integer.parseInt(status.substring(9, 12)) : 500;
            byte[] rest = readBody(sin, headers);
            ch.close();
            throw refused(new Response(st, rest));
        }
        OutputStream sout = Channels.newOutputStream(ch);
        Thread pump = Thread.ofPlatform().daemon().start(() -> {
            byte[] buf = new byte[8192];
            try {
                int n;
                while ((n = in.read(buf)) > 0) { sout.write(buf, 0, n); sout.flush(); }
                ch.shutdownOutput();
            } catch (IOException ignored) {
                // the session ended
            }
        });
        byte[] buf = new byte[8192];
        if (tty) {
            int n;
            while ((n = sin.read(buf)) > 0) { out.write(buf, 0, n); out.flush(); }
        } else {
            byte[] h = new byte[8];
            while (readFully(sin, h, 8)) {
                int len = ByteBuffer.wrap(h, 4, 4).getInt();
                byte[] data = new byte[len];
                if (!readFully(sin, data, len)) break;
                PrintStream to = h[0] == 2 ? err : out;
                to.write(data, 0, len);
                to.flush();
            }
        }
        ch.close();
        pump.interrupt();
    }

    private static String[] sttySize() {
        try {
            String s = stty("size");
            String[] p = s.strip().split("\\s+");
            return p.length == 2 ? p : null;
        } catch (IOException | InterruptedException | RuntimeException e) {
            return null;
        }
    }

    /** stty on the controlling terminal (its output). */
    private static String stty(String... args) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of("stty"));
        c.addAll(List.of(args));
        Process p = new ProcessBuilder(c).redirectInput(ProcessBuilder.Redirect.INHERIT).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }
}
