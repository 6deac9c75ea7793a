package dev.berth.cli.berth;

import dev.berth.cli.bench.Bench;
import dev.berth.cli.bench.BenchException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "bench", description = {"Measure containers against native and peers on this machine: cpu, memory, disk, net, start, density, elasticity.",
        "Each phase runs its sides interleaved in one run; figures are medians with spread, each with its command, run count, machine and load.",
        "Writes DIR/bench.json (every sample), DIR/report.html (inline SVG plots, no network) and DIR/summary.txt. Needs root."})
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--quick", description = "few rounds and small sizes (about 2 minutes for all phases)") boolean quick;
    @Option(names = "--only", split = ",", paramLabel = "PHASE[,PHASE...]", description = "phases to run (default all): cpu, memory, disk, net, start, density, elasticity")
    List<String> only;
    @Option(names = "--out", paramLabel = "DIR", description = "where to write the report (default: bench-results/<UTC time>)") Path out;
    @Option(names = "--density", split = ",", paramLabel = "N[,N...]", description = "container counts for density (default 100,500,1000; --quick 5,10,20)")
    List<Integer> density;
    @Spec CommandSpec spec;

    @Override public Integer call() {
        List<String> phases;
        try {
            phases = Bench.select(only);
        } catch (BenchException e) {
            throw new ParameterException(spec.commandLine(), "--only: " + e.getMessage());
        }
        if (density != null) {
            for (int n : density) if (n < 1 || n > 10000) throw new ParameterException(spec.commandLine(), "--density: " + n + " is not in 1..10000");
            System.setProperty("berth.bench.density", density.stream().map(String::valueOf).reduce((a, b) -> a + "," + b).orElseThrow());
        }
        Path repo = Bench.repo();
        if (repo == null) throw new BenchException("cannot find the berth repository (bin/berth-runc, scripts/) this command was built in");
        Path dir = out != null ? out : Path.of("bench-results", java.time.LocalDateTime.now(java.time.ZoneOffset.UTC).format(java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")));
        List<String> line = new ArrayList<>(List.of("berth"));   // originalArgs starts with "bench"
        line.addAll(spec.commandLine().getParseResult().originalArgs());
        Bench.run(String.join(" ", line), repo, dir.toAbsolutePath(), quick, phases, new java.io.PrintStream(System.out, true));
        return 0;
    }
}
