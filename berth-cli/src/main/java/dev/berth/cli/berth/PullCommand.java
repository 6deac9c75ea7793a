package dev.berth.cli.berth;

import dev.berth.image.Images;
import dev.berth.image.api.Descriptor;
import dev.berth.image.api.ImageReference;
import dev.berth.image.api.Platform;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "pull", description = "Pull an image from a registry (by tag or @digest).")
final class PullCommand implements Callable<Integer> {
    @Mixin Global global;
    @Mixin RegistryFlags registry;
    @Option(names = "--platform", description = "os/arch[/variant] to select from an index (default linux/amd64)") String platform;
    @Parameters(paramLabel = "IMAGE") String image;
    @Spec CommandSpec spec;

    @Override public Integer call() {
        ImageReference ref = ImageReference.parse(image);
        Images im = global.images();
        Descriptor d = im.pull(ref, Platform.parse(platform), registry.options(), ProgressPrinter.forStdout(System.out));
        spec.commandLine().getOut().println("Digest: " + d.digest());
        spec.commandLine().getOut().println("Pulled: " + ref.familiar());
        return 0;
    }
}
