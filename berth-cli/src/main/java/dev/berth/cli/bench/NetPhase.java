package dev.berth.cli.bench;

final class NetPhase {
    private NetPhase() {}

    static PhaseResult run(Context ctx) { return PhaseResult.skip("Net".toLowerCase(), "not implemented yet"); }
}
