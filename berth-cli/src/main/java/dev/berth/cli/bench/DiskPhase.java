package dev.berth.cli.bench;

final class DiskPhase {
    private DiskPhase() {}

    static PhaseResult run(Context ctx) { return PhaseResult.skip("Disk".toLowerCase(), "not implemented yet"); }
}
