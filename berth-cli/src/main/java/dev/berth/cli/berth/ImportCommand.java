package dev.berth.cli.berth;

import dev.berth.image.api.Descriptor;
import dev.berth.image.api.ImageReference;
import dev.berth.image.api.Platform;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "import", description = "Create a one-layer image from a root filesystem directory or tarball (tar, tar.gz, tar.zst).")
final class ImportCommand implements Callable<Integer> {
    @Mixin Global global;
    @Option(names = "--platform", description = "os/arch of the image (default linux/amd64)") String platform;
    @Parameters(index = "0", paramLabel = "SOURCE") Path source;
    @Parameters(index = "1", arity = "0..1", paramLabel = "NAME") String name;
    @Spec CommandSpec spec;

    @Override public Integer call() {
        Descriptor d = global.images().importRootfs(source, name == null ? null : ImageReference.parse(name), Platform.parse(platform));
        spec.commandLine().getOut().println(d.digest());
        return 0;
    }
}
