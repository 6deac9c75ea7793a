package dev.berth.sys.seccomp;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs src/test/c/seccomp_probe.c (compiled with the system cc into target/) under a compiled
 * filter: the filter is installed in that throw-away child only.
 */
final class SeccompProbe {
    private static final Path SOURCE = Path.of("src/test/c/seccomp_probe.c").toAbsolutePath();
    private static final Path BINARY = Path.of("target/seccomp-probe").toAbsolutePath();
    private static boolean built;

    /** What the probe printed and how it ended (128 + signal when killed, as Java reports it). */
    record Result(List<String> lines, int exitValue, String stderr) {
    }

    private SeccompProbe() {
    }

    static synchronized void build() throws IOException, InterruptedException {
        if (built) {
            return;
        }
        Files.createDirectories(BINARY.getParent());
        Process cc = new ProcessBuilder("cc", "-O", "-Wall", "-o", BINARY.toString(), SOURCE.toString())
                .redirectErrorStream(true).start();
        String out = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!cc.waitFor(60, TimeUnit.SECONDS) || cc.exitValue() != 0) {
            throw new IllegalStateException("cc seccomp_probe.c failed: " + out);
        }
        built = true;
    }

    static Result run(CompiledFilter filter, Path workDir, String... ops) throws IOException, InterruptedException {
        build();
        Path bpf = Files.createTempFile(workDir, "filter", ".bpf");
        Files.write(bpf, filter.bpf());
        List<String> cmd = new ArrayList<>(List.of(BINARY.toString(), bpf.toString(), Integer.toString(filter.flags())));
        cmd.addAll(List.of(ops));
        Process p = new ProcessBuilder(cmd).start();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("seccomp probe hung");
        }
        String text = new String(out, StandardCharsets.UTF_8);
        return new Result(text.isEmpty() ? List.of() : List.of(text.split("\n")), p.exitValue(),
                new String(err, StandardCharsets.UTF_8));
    }
}
