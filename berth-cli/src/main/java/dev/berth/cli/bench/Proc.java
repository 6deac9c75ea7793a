package dev.berth.cli.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs one command, waits with a timeout, keeps its output and its wall time. */
public final class Proc {
    private Proc() {}

    public record Result(List<String> command, int exit, String out, String err, long nanos) {
        public boolean ok() { return exit == 0; }
        public double millis() { return nanos / 1e6; }
        /** The result, or a BenchException naming the command, its exit code and the end of its stderr. */
        public Result check() {
            if (exit != 0) throw new BenchException(String.join(" ", command) + ": exit " + exit + ": " + tail(err.isBlank() ? out : err));
            return this;
        }
    }

    public static Result run(long timeoutSeconds, List<String> cmd) { return run(timeoutSeconds, cmd, null); }

    public static Result run(long timeoutSeconds, String... cmd) { return run(timeoutSeconds, List.of(cmd), null); }

    /**
     * Runs cmd with stdin from /dev/null and stdout/stderr to temp files (so a chatty command never
     * blocks on a pipe); the wall time is from start to exit. A timeout kills it and throws.
     */
    public static Result run(long timeoutSeconds, List<String> cmd, java.util.Map<String, String> env) {
        Path o = null, e = null;
        try {
            o = Files.createTempFile("berth-bench", ".out");
            e = Files.createTempFile("berth-bench", ".err");
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(o.toFile()).redirectError(e.toFile());
            if (env != null) pb.environment().putAll(env);
            long t0 = System.nanoTime();
            Process p = pb.start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
                throw new BenchException(String.join(" ", cmd) + ": no exit within " + timeoutSeconds + " s");
            }
            long t = System.nanoTime() - t0;
            return new Result(List.copyOf(cmd), p.exitValue(), Files.readString(o, StandardCharsets.UTF_8),
                    Files.readString(e, StandardCharsets.UTF_8), t);
        } catch (IOException ex) {
            throw new BenchException(String.join(" ", cmd) + ": " + ex.getMessage());
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new BenchException("interrupted");
        } finally {
            try { if (o != null) Files.deleteIfExists(o); if (e != null) Files.deleteIfExists(e); } catch (IOException ignored) { }
        }
    }

    /** A shell line (sh -c), for the few steps that are one. */
    public static Result sh(long timeoutSeconds, String line) { return run(timeoutSeconds, List.of("sh", "-c", line)); }

    /** The executable's path on PATH, or null. */
    public static String which(String name) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            Path p = Path.of(d, name);
            if (Files.isExecutable(p)) return p.toString();
        }
        for (String d : List.of("/usr/sbin", "/sbin", "/usr/local/sbin")) {
            Path p = Path.of(d, name);
            if (Files.isExecutable(p)) return p.toString();
        }
        return null;
    }

    static String tail(String s) {
        String t = s.strip();
        List<String> lines = new ArrayList<>(List.of(t.split("\n")));
        String last = lines.isEmpty() ? "" : lines.get(lines.size() - 1);
        return last.length() > 300 ? last.substring(0, 300) + "…" : last;
    }
}
