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
    @picocli.CommandLine.Option(names = "--provenance", description = "one line per layer: where it came from (pull: registry and repository;"
            + " import, load: the path; commit: the container), the image of the store that introduced it, the step that made it")
    boolean provenance;
    @picocli.CommandLine.Option(names = "--format", paramLabel = "text|json", description = "output: text (default) or json") String format = "text";
    @Spec CommandSpec spec;

    @Override public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        boolean json = Format.json(format);
        if (provenance) return provenance(out, json);
        if (json) { out.println(dev.berth.image.api.Json.pretty(global.images().history(image))); return 0; }
        out.printf("%-21s %-30s %-19s %s%n", "CREATED", "CREATED BY", "LAYER", "SOURCE");
        for (Images.HistoryLine h : global.images().history(image)) {
            String by = h.createdBy().length() > 30 ? h.createdBy().substring(0, 27) + "..." : h.createdBy();
            String created = h.created().length() > 19 ? h.created().substring(0, 19) + "Z" : h.created();
            out.printf("%-21s %-30s %-19s %s%n", created, by, h.layer() == null ? "<missing>" : h.layer().substring(0, 19),
                    h.provenance() == null ? "" : h.provenance());
        }
        return 0;
    }

    /** Top layer first, as history: index, layer, the image that introduced it, the step, the source. */
    private int provenance(PrintWriter out, boolean json) {
        Images im = global.images();
        var origins = dev.berth.image.pedigree.Pedigree.of(im.store(), im.snapshotter()).origins(image).reversed();
        if (json) { out.println(dev.berth.image.api.Json.pretty(origins)); return 0; }
        out.printf("%-3s %-19s %-30s %-30s %s%n", "#", "LAYER", "INTRODUCED BY", "CREATED BY", "SOURCE");
        for (var o : origins) {
            String by = o.createdBy() == null ? "" : o.createdBy().length() > 30 ? o.createdBy().substring(0, 27) + "..." : o.createdBy();
            String intro = o.introducedBy() == null ? "" : PedigreeCommand.names(o.introducedBy());
            String src = o.source() == null ? "<unknown>" : o.source() + (o.inherited() ? " (recorded for another image)" : "");
            out.printf("%-3d %-19s %-30s %-30s %s%n", o.index(), o.digest().substring(0, 19), intro, by, src);
        }
        return 0;
    }
}
