package dev.berth.cli.berth;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "prune", description = "Remove blobs and snapshots that no image or container references.")
final class PruneCommand implements Callable<Integer> {
    @Mixin Global global;
    @Spec CommandSpec spec;

    @Override public Integer call() {
        var r = global.images().prune();
        var out = spec.commandLine().getOut();
        r.blobs().forEach(d -> out.println("deleted blob " + d));
        r.snapshots().forEach(d -> out.println("deleted snapshot " + d));
        out.println("Total reclaimed space: " + ProgressPrinter.human(r.bytes()) + " in blobs, " + r.snapshots().size() + " snapshots");
        return 0;
    }
}
