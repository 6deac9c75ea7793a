package dev.berth.cli.bench;

final class DensityPhase {
    private DensityPhase() {}

    static PhaseResult run(Context ctx) { return PhaseResult.skip("Density".toLowerCase(), "not implemented yet"); }
}
