package dev.berth.cli.berth;

import dev.berth.image.Images;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "history", description = "Show an image's history: each step, its layer and where the layer came from.")
final class HistoryCommand implements Callable<Integer> {
    @Mixin Global global;
    @Parameters(paramLabel = "IMAGE") String image;
    @Spec CommandSpec spec;

    @Override public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        out.printf("%-21s %-30s %-19s %s%n", "CREATED", "CREATED BY", "LAYER", "SOURCE");
        for (Images.HistoryLine h : global.images().history(image)) {
            String by = h.createdBy().length() > 30 ? h.createdBy().substring(0, 27) + "..." : h.createdBy();
            String created = h.created().length() > 19 ? h.created().substring(0, 19) + "Z" : h.created();
            out.printf("%-21s %-30s %-19s %s%n", created, by, h.layer() == null ? "<missing>" : h.layer().substring(0, 19),
                    h.provenance() == null ? "" : h.provenance());
        }
        return 0;
    }
}
