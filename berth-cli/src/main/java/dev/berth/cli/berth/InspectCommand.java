package dev.berth.cli.berth;

import dev.berth.image.api.Json;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "inspect", description = "Show an image as JSON, with the provenance of each layer.")
final class InspectCommand implements Callable<Integer> {
    @Mixin Global global;
    @Parameters(arity = "1..*", paramLabel = "IMAGE") List<String> images;
    @Spec CommandSpec spec;

    @Override public Integer call() {
        var im = global.images();
        var arr = Json.MAPPER.createArrayNode();
        for (String i : images) arr.add(im.inspect(i));
        spec.commandLine().getOut().println(Json.pretty(arr));
        return 0;
    }
}
