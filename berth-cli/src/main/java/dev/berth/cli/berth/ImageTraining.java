package dev.berth.cli.berth;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.berth.image.api.Descriptor;
import dev.berth.image.api.Digest;
import dev.berth.image.store.Store;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Executors;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * An offline workload of the image commands for the AOT training run (the packaging step may call
 * {@link #run(Path)} beside berth-runc's): import (tar writer, gzip, safe extraction, snapshot),
 * images, inspect, history, tag, save, load (archive reader), verify, rm, prune, in a throw-away
 * root under {@code dir}; and pull (HTTP client, download, unpack while downloading) from a small
 * in-process registry on 127.0.0.1 serving a training store: uncompressed layers in docker-save
 * form and a gzip one. No other network.
 */
public final class ImageTraining {
    private ImageTraining() {}

    public static void run(Path dir) throws IOException {
        Path rootfs = dir.resolve("rootfs");
        Files.createDirectories(rootfs.resolve("etc"));
        Files.createDirectories(rootfs.resolve("bin"));
        for (int i = 0; i < 200; i++) Files.writeString(rootfs.resolve("etc").resolve("f" + i), "training " + i + "\n".repeat(i));
        Files.createSymbolicLink(rootfs.resolve("bin/sh"), Path.of("busybox"));
        String a = dir.resolve("a").toString(), b = dir.resolve("b").toString();
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        for (int round = 0; round < 3; round++) {
            String name = "training:" + round;
            BerthMain.run(new String[]{"import", "--root", a, rootfs.toString(), name}, quiet, quiet);
            BerthMain.run(new String[]{"images", "--root", a}, quiet, quiet);
            BerthMain.run(new String[]{"inspect", "--root", a, name}, quiet, quiet);
            BerthMain.run(new String[]{"history", "--root", a, name}, quiet, quiet);
            BerthMain.run(new String[]{"tag", "--root", a, name, "localhost:5000/training/img:" + round}, quiet, quiet);
            Path archive = dir.resolve("saved-" + round + ".tar");
            BerthMain.run(new String[]{"save", "--root", a, "-o", archive.toString(), name}, quiet, quiet);
            BerthMain.run(new String[]{"load", "--root", b, "-i", archive.toString()}, quiet, quiet);
            BerthMain.run(new String[]{"verify", "--root", b}, quiet, quiet);
            BerthMain.run(new String[]{"rm", "--root", a, "--force", name}, quiet, quiet);
            BerthMain.run(new String[]{"prune", "--root", a}, quiet, quiet);
            BerthMain.run(new String[]{"inspect", "--root", a, "training:missing"}, quiet, quiet);
        }
        try {
            pulls(dir, rootfs, quiet);
        } catch (IOException | RuntimeException e) {
            // e.g. no loopback: the cache is still good for everything else
            System.err.println("berth: AOT training: pull not trained: " + e);
        }
    }

    /** {@code berth pull} three times from an in-process registry (GET only) serving a store. */
    static void pulls(Path dir, Path rootfs, PrintStream quiet) throws IOException {
        String src = dir.resolve("pull-src").toString();
        Path archive = dir.resolve("pull-src.tar");
        dockerArchive(archive, "training/plain:1");
        BerthMain.run(new String[]{"load", "--root", src, "-i", archive.toString()}, quiet, quiet);
        BerthMain.run(new String[]{"import", "--root", src, rootfs.toString(), "training/gz:1"}, quiet, quiet);
        Store store = Store.open(Path.of(src));
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/v2/", x -> serve(store, x));
        server.start();
        PrintStream out = System.out;
        System.setOut(quiet);   // pull prints its progress on System.out
        try {
            String registry = "127.0.0.1:" + server.getAddress().getPort();
            for (int round = 0; round < 3; round++) {
                String dst = dir.resolve("pull-" + round).toString();
                BerthMain.run(new String[]{"pull", "--root", dst, registry + "/training/plain:1"}, quiet, quiet);
                BerthMain.run(new String[]{"pull", "--root", dst, registry + "/training/gz:1"}, quiet, quiet);
                BerthMain.run(new String[]{"pull", "--root", dst, registry + "/training/plain:1"}, quiet, quiet);   // already there
                BerthMain.run(new String[]{"pull", "--root", dst, registry + "/training/missing:1"}, quiet, quiet);
            }
        } finally {
            System.setOut(out);
            server.stop(0);
        }
    }

    /** GET /v2/, manifests by tag, blobs by digest: what pull asks of a registry. */
    private static void serve(Store store, HttpExchange x) throws IOException {
        try (x) {
            String path = x.getRequestURI().getPath();
            x.getResponseHeaders().set("Docker-Distribution-Api-Version", "registry/2.0");
            int m = path.indexOf("/manifests/"), b = path.indexOf("/blobs/");
            Descriptor d = null;
            InputStream body = null;
            long size = 0;
            try {
                if (m > 0) {
                    d = store.resolve(path.substring("/v2/".length(), m) + ":" + path.substring(m + "/manifests/".length()));
                    x.getResponseHeaders().set("Content-Type", d.mediaType());
                    x.getResponseHeaders().set("Docker-Content-Digest", d.digest());
                    body = store.openBlob(d.digestValue());
                    size = d.size();
                } else if (b > 0) {
                    Digest blob = Digest.parse(path.substring(b + "/blobs/".length()));
                    body = store.openBlob(blob);
                    size = store.blobSize(blob);
                }
            } catch (RuntimeException notFound) {
                body = null;
            }
            if (path.equals("/v2/")) {
                x.sendResponseHeaders(200, -1);
            } else if (body == null) {
                byte[] err = "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"not found\"}]}".getBytes(StandardCharsets.UTF_8);
                x.getResponseHeaders().set("Content-Type", "application/json");
                x.sendResponseHeaders(404, err.length);
                x.getResponseBody().write(err);
            } else {
                try (InputStream in = body) {
                    x.sendResponseHeaders(200, "HEAD".equals(x.getRequestMethod()) ? -1 : size);
                    if (!"HEAD".equals(x.getRequestMethod())) in.transferTo(x.getResponseBody());
                }
            }
        }
    }

    /**
     * A docker-save archive of two uncompressed layers, each many small files in a few directories
     * and two larger ones (the shape of berth-image/bench/run.sh's image, smaller).
     */
    static void dockerArchive(Path archive, String tag) throws IOException {
        Random r = new Random(1);
        List<String> layers = new ArrayList<>(), diffs = new ArrayList<>();
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(Files.newOutputStream(archive))) {
            for (int n = 0; n < 2; n++) {
                ByteArrayOutputStream layer = new ByteArrayOutputStream();
                try (TarArchiveOutputStream t = new TarArchiveOutputStream(layer)) {
                    t.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                    for (int i = 0; i < 400; i++) add(t, "l" + n + "/d" + (i % 20) + "/f" + i, random(r, 4096 + r.nextInt(12288)));
                    for (int i = 0; i < 2; i++) add(t, "l" + n + "/big" + i, random(r, 2 << 20));
                }
                byte[] bytes = layer.toByteArray();
                String hex;
                try { hex = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)); }
                catch (java.security.NoSuchAlgorithmException e) { throw new IllegalStateException(e); }
                add(out, hex + "/layer.tar", bytes);
                layers.add("\"" + hex + "/layer.tar\"");
                diffs.add("\"sha256:" + hex + "\"");
            }
            add(out, "config.json", ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":["
                    + String.join(",", diffs) + "]}}").getBytes(StandardCharsets.UTF_8));
            add(out, "manifest.json", ("[{\"Config\":\"config.json\",\"RepoTags\":[\"" + tag + "\"],\"Layers\":["
                    + String.join(",", layers) + "]}]").getBytes(StandardCharsets.UTF_8));
        }
    }

    private static byte[] random(Random r, int size) {
        byte[] b = new byte[size];
        r.nextBytes(b);
        return b;
    }

    private static void add(TarArchiveOutputStream t, String name, byte[] content) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(content.length);
        t.putArchiveEntry(e);
        t.write(content);
        t.closeArchiveEntry();
    }

    public static void main(String[] args) throws IOException { run(Path.of(args[0])); }
}
