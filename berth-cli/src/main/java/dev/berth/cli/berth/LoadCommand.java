package dev.berth.cli.berth;

import dev.berth.image.api.ImageReference;
import dev.berth.image.api.Platform;
import dev.berth.image.archive.ArchiveLoader;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "load", description = "Load images from a docker save archive, an OCI archive or an OCI layout directory.")
final class LoadCommand implements Callable<Integer> {
    @Mixin Global global;
    @Option(names = {"-i", "--input"}, description = "archive or layout directory (default: stdin)") Path input;
    @Option(names = "--name", description = "repository for images the archive names only by tag") String name;
    @Option(names = "--platform", description = "os/arch[/variant] to select from an index (default linux/amd64)") String platform;
    @Spec CommandSpec spec;

    @Override public Integer call() {
        var im = global.images();
        List<ArchiveLoader.Loaded> loaded = input != null ? im.load(input, name, Platform.parse(platform))
                : im.load(System.in, name, Platform.parse(platform));
        for (ArchiveLoader.Loaded l : loaded) {
            if (l.names().isEmpty()) spec.commandLine().getOut().println("Loaded image ID: " + l.manifest().digest());
            for (ImageReference r : l.names()) spec.commandLine().getOut().println("Loaded image: " + r.familiar());
        }
        return 0;
    }
}
