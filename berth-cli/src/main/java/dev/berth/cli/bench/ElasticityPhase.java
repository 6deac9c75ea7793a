package dev.berth.cli.bench;

final class ElasticityPhase {
    private ElasticityPhase() {}

    static PhaseResult run(Context ctx) { return PhaseResult.skip("Elasticity".toLowerCase(), "not implemented yet"); }
}
