package dev.berth.cli.bench;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** bin/berth bench: runs the chosen phases in order, each cleaned up after, and writes the report. */
public final class Bench {
    private Bench() {}

    /** The phases, in run order. */
    public static final Map<String, Function<Context, PhaseResult>> PHASES = new LinkedHashMap<>();
    static {
        PHASES.put("cpu", SysbenchPhase::cpu);
        PHASES.put("memory", SysbenchPhase::memory);
        PHASES.put("disk", DiskPhase::run);
        PHASES.put("net", NetPhase::run);
        PHASES.put("start", StartPhase::run);
        PHASES.put("density", DensityPhase::run);
        PHASES.put("elasticity", ElasticityPhase::run);
    }

    /** Checks --only's names; an unknown one is an error naming it and the known ones. */
    public static List<String> select(List<String> only) {
        if (only == null || only.isEmpty()) return List.copyOf(PHASES.keySet());
        List<String> out = new ArrayList<>();
        for (String o : only) {
            String n = o.strip().toLowerCase(java.util.Locale.ROOT);
            if (n.equals("mem")) n = "memory";
            if (n.equals("network")) n = "net";
            if (!PHASES.containsKey(n)) throw new BenchException("unknown phase '" + o + "' (phases: " + String.join(", ", PHASES.keySet()) + ")");
            if (!out.contains(n)) out.add(n);
        }
        return out;
    }

    /** The repository holding bin/ and scripts/: where this class was loaded from (berth-cli/target/...), or null. */
    public static Path repo() {
        try {
            Path p = Path.of(Bench.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            for (Path d = p; d != null; d = d.getParent())
                if (Files.isExecutable(d.resolve("bin/berth-runc")) && Files.isDirectory(d.resolve("scripts"))) return d;
        } catch (Exception e) { /* fall through */ }
        return null;
    }

    public static Report.Run run(String commandLine, Path repo, Path out, boolean quick, List<String> phases, PrintStream term) {
        if (!"root".equals(System.getProperty("user.name")) && ProcessHandle.current().info().user().map(u -> !u.equals("root")).orElse(true))
            throw new BenchException("needs root (containers, namespaces, cgroups, mounts)");
        String started = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        double[] before = Machine.loadAverage();
        List<PhaseResult> results = new ArrayList<>();
        Machine machine;
        try (Context ctx = new Context(repo, quick, term)) {
            machine = ctx.machine;
            term.printf("berth bench%s: %s; %s%n", quick ? " --quick" : "", String.join(", ", phases), machine.line());
            term.printf("load average before: %.2f %.2f %.2f (the machine may be shared: figures carry theirs)%n", before[0], before[1], before[2]);
            term.printf("work directory: %s (removed at the end)%n", ctx.work);
            for (int i = 0; i < phases.size(); i++) {
                String name = phases.get(i);
                term.printf("[%d/%d] %s …%n", i + 1, phases.size(), name);
                term.flush();
                long t0 = System.nanoTime();
                PhaseResult r;
                try (Context phaseCtx = ctx.child()) {
                    r = PHASES.get(name).apply(phaseCtx);
                } catch (BenchException e) {
                    r = new PhaseResult(name);
                    r.status = "failed";
                    r.reason = e.getMessage();
                }
                r.seconds = (System.nanoTime() - t0) / 1e9;
                term.printf("[%d/%d] %s: %s in %.1f s%s%n", i + 1, phases.size(), name, r.status, r.seconds, r.reason == null ? "" : " — " + r.reason);
                for (String s : r.skipped) term.println("      skipped: " + s);
                results.add(r);
            }
        }
        Report.Run run = new Report.Run(commandLine, started, Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), machine, before,
                Machine.loadAverage(), results, VmFigures.load(repo));
        Report.write(run, out);
        term.println();
        term.print(Report.summary(run));
        term.println("\nreport: " + out.resolve("report.html") + "  samples: " + out.resolve("bench.json"));
        return run;
    }
}
