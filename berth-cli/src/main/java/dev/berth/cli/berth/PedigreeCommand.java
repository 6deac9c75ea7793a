package dev.berth.cli.berth;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.image.Images;
import dev.berth.image.api.Json;
import dev.berth.image.pedigree.Pedigree;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "pedigree", description = {
        "Show an image's ancestors and descendants in the store: image B descends from A when A's layers are the first of B's (B = A + n layers).",
        "ADDED is n, the layers between the two. --affected: every image built on IMAGE and every container (bundles, berthd's) using its layers."})
final class PedigreeCommand implements Callable<Integer> {
    @Mixin Global global;
    @Option(names = "--affected", description = "list the images built on IMAGE and the containers using them") boolean affected;
    @Option(names = "--format", paramLabel = "text|json", description = "output: text (default) or json") String format = "text";
    @Parameters(paramLabel = "IMAGE") String image;
    @Spec CommandSpec spec;

    @Override public Integer call() {
        boolean json = Format.json(format);
        Images im = global.images();
        Pedigree p = Pedigree.of(im.store(), im.snapshotter());
        PrintWriter out = spec.commandLine().getOut();
        if (affected) {
            Pedigree.Affected a = p.affected(image);
            if (json) { out.println(Json.pretty(affectedJson(im.store().root(), a))); return 0; }
            Pedigree.Image b = a.base();
            out.printf("images built on %s (%s, %s):%n", names(b), shortId(b), layers(b.layers()));
            if (a.images().isEmpty()) out.println("  (none)");
            else {
                out.printf("  %-40s %-12s %-6s %s%n", "IMAGE", "IMAGE ID", "LAYERS", "ADDED");
                for (Pedigree.Relative r : a.images())
                    out.printf("  %-40s %-12s %-6d +%d%n", names(r.image()), shortId(r.image()), r.image().layers(), r.addedLayers());
            }
            out.println("containers using them:");
            if (a.containers().isEmpty()) out.println("  (none)");
            else {
                out.printf("  %-40s %-7s %-40s %-7s %s%n", "CONTAINER", "KIND", "IMAGE", "RUNNING", "PIDS");
                for (Pedigree.ContainerUse c : a.containers())
                    out.printf("  %-40s %-7s %-40s %-7s %s%n", EngineContainers.display(im.store().root(), c.id(), c.labels()), kind(c),
                            c.from() != null ? names(c.from()) : c.image() + " (removed)", c.running() ? "yes" : "no",
                            c.pids().stream().map(String::valueOf).reduce((x, y) -> x + "," + y).orElse(""));
            }
            return 0;
        }
        Pedigree.Family f = p.family(image);
        if (json) { out.println(Json.pretty(f)); return 0; }
        out.printf("%-11s %-40s %-12s %-6s %s%n", "RELATION", "IMAGE", "IMAGE ID", "LAYERS", "ADDED");
        // farthest first (the base at the top); a stable sort keeps store order among equals
        for (Pedigree.Relative r : f.ancestors().stream().sorted(java.util.Comparator.comparingInt(r -> -r.addedLayers())).toList())
            row(out, "ancestor", r.image(), "+" + r.addedLayers());
        row(out, "image", f.image(), "");
        for (Pedigree.Relative r : f.descendants()) row(out, "descendant", r.image(), "+" + r.addedLayers());
        for (Pedigree.Image s : f.sameLayers()) row(out, "same-layers", s, "+0");
        return 0;
    }

    private static void row(PrintWriter out, String rel, Pedigree.Image i, String added) {
        out.printf("%-11s %-40s %-12s %-6d %s%n", rel, names(i), shortId(i), i.layers(), added);
    }

    static String names(Pedigree.Image i) { return i.names().isEmpty() ? "<none>" : String.join(",", i.names()); }
    static String shortId(Pedigree.Image i) { return i.id().substring(7, 19); }
    static String layers(int n) { return n + (n == 1 ? " layer" : " layers"); }

    static String kind(Pedigree.ContainerUse c) {
        if (c.labels().containsKey(EngineContainers.LABEL)) return "berthd";
        if (c.labels().containsKey(dev.berth.engine.bundles.Bundles.LABEL_DIR)) return "bundle";
        return "other";
    }

    /** The record as JSON, each container with its kind and (berthd's) name. */
    static ObjectNode affectedJson(Path root, Pedigree.Affected a) {
        ObjectNode o = Json.MAPPER.valueToTree(a);
        ArrayNode cs = (ArrayNode) o.get("containers");
        for (int i = 0; i < a.containers().size(); i++) {
            Pedigree.ContainerUse c = a.containers().get(i);
            ObjectNode n = (ObjectNode) cs.get(i);
            n.put("kind", kind(c));
            String name = c.labels().containsKey(EngineContainers.LABEL) ? EngineContainers.name(root, c.id()) : c.id();
            if (name != null) n.put("name", name);
        }
        return o;
    }
}
