package dev.berth.cli.berth;

import dev.berth.image.api.Digest;
import dev.berth.image.api.ImageReference;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "push", description = "Push an image to a registry: push IMAGE [TARGET].")
final class PushCommand implements Callable<Integer> {
    @Mixin Global global;
    @Mixin RegistryFlags registry;
    @Parameters(index = "0", paramLabel = "IMAGE") String image;
    @Parameters(index = "1", arity = "0..1", paramLabel = "TARGET", description = "registry/repository[:tag] (default: IMAGE's name)") String target;
    @Spec CommandSpec spec;

    @Override public Integer call() {
        ImageReference t = target != null ? ImageReference.parse(target) : null;
        Digest d = global.images().push(image, t, registry.options(), ProgressPrinter.forStdout(System.out));
        spec.commandLine().getOut().println((t != null ? t : ImageReference.parse(image)).familiar() + ": digest: " + d);
        return 0;
    }
}
