package dev.berth.cli.berth;

import dev.berth.image.Images;
import dev.berth.image.api.ImageReference;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "images", aliases = {"ls"}, description = "List images.")
final class ImagesCommand implements Callable<Integer> {
    @Mixin Global global;
    @Option(names = {"-q", "--quiet"}, description = "only image IDs") boolean quiet;
    @Option(names = "--digests", description = "show manifest digests") boolean digests;
    @Option(names = "--tree", description = "images as a family tree: each under its nearest ancestor in the store (its layers the first of the image's), with the layers it adds") boolean tree;
    @Option(names = "--format", paramLabel = "text|json", description = "output: text (default) or json") String format = "text";
    @Spec CommandSpec spec;

    @Override public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        boolean json = Format.json(format);
        if (tree) return tree(out, json);
        var list = global.images().list();
        if (json) {
            var arr = dev.berth.image.api.Json.MAPPER.createArrayNode();
            for (Images.Summary s : list) {
                var o = arr.addObject();
                o.put("Id", s.id().toString());
                o.put("Manifest", s.manifest().toString());
                var tags = o.putArray("RepoTags");
                s.names().forEach(r -> tags.add(r.familiar()));
                o.put("Created", s.created());
                o.put("Size", s.size());
            }
            out.println(dev.berth.image.api.Json.pretty(arr));
            return 0;
        }
        if (quiet) { list.forEach(s -> out.println(s.id().shortHex())); return 0; }
        String fmt = digests ? "%-40s %-20s %-71s %-12s %-25s %s%n" : "%-40s %-20s %s%-12s %-25s %s%n";
        out.printf(fmt, "REPOSITORY", "TAG", digests ? "DIGEST" : "", "IMAGE ID", "CREATED", "SIZE");
        for (Images.Summary s0 : list) {
            Images.Summary s = new Images.Summary(s0.names(), s0.manifest(), s0.id(), created(s0.created()), s0.size());
            if (s.names().isEmpty()) out.printf(fmt, "<none>", "<none>", digests ? s.manifest() : "", s.id().shortHex(), s.created(), ProgressPrinter.human(s.size()));
            for (ImageReference r : s.names()) {
                String repo = r.familiar().substring(0, r.familiar().length() - r.tag().length() - 1);
                out.printf(fmt, repo, r.tag(), digests ? s.manifest() : "", s.id().shortHex(), s.created(), ProgressPrinter.human(s.size()));
            }
        }
        return 0;
    }

    private int tree(PrintWriter out, boolean json) {
        Images im = global.images();
        var forest = dev.berth.image.pedigree.Pedigree.of(im.store(), im.snapshotter()).tree();
        if (json) { out.println(dev.berth.image.api.Json.pretty(forest)); return 0; }
        for (var t : forest) print(out, t, "", "");
        return 0;
    }

    /** One node and its children, drawn as tree(1) draws directories (depth: the image's layer count at most). */
    private static void print(PrintWriter out, dev.berth.image.pedigree.Pedigree.Tree t, String first, String rest) {
        var i = t.image();
        String what = first.isEmpty() ? PedigreeCommand.layers(i.layers())
                : t.addedLayers() == 0 ? "+0 (same layers)" : "+" + PedigreeCommand.layers(t.addedLayers());
        out.printf("%s%s  %s  %s%n", first, PedigreeCommand.names(i), PedigreeCommand.shortId(i), what);
        for (int k = 0; k < t.children().size(); k++) {
            boolean last = k == t.children().size() - 1;
            print(out, t.children().get(k), rest + (last ? "└── " : "├── "), rest + (last ? "    " : "│   "));
        }
    }

    /** ISO time to the second ({@code 2026-11-26T01:31:29Z}). */
    static String created(String iso) {
        if (iso == null || iso.isEmpty()) return "";
        try { return java.time.Instant.parse(iso).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString(); }
        catch (java.time.format.DateTimeParseException e) { return iso; }
    }
}
