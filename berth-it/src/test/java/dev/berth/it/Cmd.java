package dev.berth.it;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs an external command to completion with stdin from /dev/null and stdout/stderr captured in
 * files (not pipes: a detached container inherits them and would keep a pipe open forever).
 */
final class Cmd {
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    private Cmd() {}

    static Result run(Object... argv) {
        return run(DEFAULT_TIMEOUT, Map.of(), argv);
    }

    static Result run(Duration timeout, Object... argv) {
        return run(timeout, Map.of(), argv);
    }

    static Result run(Duration timeout, Map<String, String> env, Object... argv) {
        List<String> args = strings(argv);
        Path out = null;
        Path err = null;
        try {
            out = Files.createTempFile("berth-it-out", ".txt");
            err = Files.createTempFile("berth-it-err", ".txt");
            ProcessBuilder pb = new ProcessBuilder(args)
                    .redirectInput(new File("/dev/null"))
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            pb.environment().putAll(env);
            pb.environment().put("PATH", Tools.searchPath());
            Process p = pb.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s: "
                        + new Result(args, -1, Files.readString(out), Files.readString(err)).describe());
            }
            return new Result(args, p.exitValue(), Files.readString(out), Files.readString(err));
        } catch (IOException e) {
            throw new AssertionError("cannot run " + args + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running " + args, e);
        } finally {
            deleteQuietly(out);
            deleteQuietly(err);
        }
    }

    /** Starts a long-running process (a daemon) with its output appended to {@code log}. */
    static Process start(Path log, Object... argv) {
        List<String> args = strings(argv);
        try {
            ProcessBuilder pb = new ProcessBuilder(args)
                    .redirectInput(new File("/dev/null"))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            pb.environment().put("PATH", Tools.searchPath());
            return pb.start();
        } catch (IOException e) {
            throw new AssertionError("cannot start " + args + ": " + e.getMessage(), e);
        }
    }

    static List<String> strings(Object... argv) {
        List<String> args = new ArrayList<>();
        flatten(argv, args);
        return args;
    }

    /** Arguments may be nested lists and arrays (a base command plus flags plus a command). */
    private static void flatten(Object a, List<String> into) {
        if (a instanceof List<?> l) {
            l.forEach(x -> flatten(x, into));
        } else if (a instanceof Object[] arr) {
            for (Object x : arr) flatten(x, into);
        } else {
            into.add(String.valueOf(a));
        }
    }

    private static void deleteQuietly(Path p) {
        if (p == null) return;
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a temp file left in /tmp is not worth failing a test for
        }
    }

    /** The outcome of one command. */
    record Result(List<String> argv, int exit, String out, String err) {
        String describe() {
            return "`" + String.join(" ", argv) + "` exited " + exit
                    + "\n--- stdout ---\n" + out + "\n--- stderr ---\n" + err;
        }

        Result ok() {
            if (exit != 0) throw new AssertionError(describe());
            return this;
        }

        /** stdout and stderr together, for messages that may go to either. */
        String all() {
            return out + err;
        }
    }
}
