package dev.berth.cli.berth;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.image.Images;
import dev.berth.image.api.Json;
import dev.berth.image.pedigree.Drift;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "drift", description = {
        "Show what a container changed against its image: files added (A), changed (C), deleted (D), with type, mode and size,",
        "and the executables among them called out (a regular file with an execute bit or the ELF magic).",
        "CONTAINER: a bundle's name, or a berthd container's name or ID in the same store root."})
final class DriftCommand implements Callable<Integer> {
    @Mixin Global global;
    @Option(names = "--format", paramLabel = "text|json", description = "output: text (default) or json") String format = "text";
    @Parameters(paramLabel = "CONTAINER") String container;
    @Spec CommandSpec spec;

    @Override public Integer call() {
        boolean json = Format.json(format);
        Images im = global.images();
        String id = EngineContainers.resolve(im.store().root(), im.snapshotter(), container);
        Drift.Report r = Drift.of(im.snapshotter(), id);
        PrintWriter out = spec.commandLine().getOut();
        String name = EngineContainers.display(im.store().root(), im.snapshotter().info(id));
        if (json) {
            ObjectNode o = Json.MAPPER.valueToTree(r);
            o.put("name", name);
            out.println(Json.pretty(o));
            return 0;
        }
        out.printf("%s (image %s, %s): %d added, %d changed, %d deleted, %d executable%s%n", name, r.image(),
                r.running() ? "running" : "not running", r.added(), r.changed(), r.deleted(), r.executables().size(),
                r.executables().size() == 1 ? "" : "s");
        for (Drift.Entry e : r.changes()) {
            if (e.type() == null) { out.printf("%s %s%n", e.kind(), e.path()); continue; }
            String what = e.type() + " " + e.mode() + (e.size() != null ? " " + e.size() + " B" : "");
            String flag = e.executable() ? "  EXECUTABLE" + (e.elf() ? " (ELF)" : "") : "";
            out.printf("%s %s  [%s]%s%n", e.kind(), e.path(), what, flag);
        }
        return 0;
    }
}
