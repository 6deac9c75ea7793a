package dev.berth.cli.berth;

import dev.berth.image.Images;
import dev.berth.image.api.Descriptor;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.ImageReference;
import dev.berth.image.api.Platform;
import dev.berth.image.registry.JsonProgress;
import dev.berth.image.registry.Progress;
import java.io.PrintWriter;
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
    @Mixin ProgressFlags progress;
    @Option(names = "--platform", description = "os/arch[/variant] to select from an index (default linux/amd64)") String platform;
    @Parameters(paramLabel = "IMAGE") String image;
    @Spec CommandSpec spec;

    @Override public Integer call() {
        ProgressFlags.Mode mode = progress.mode();
        ImageReference ref = ImageReference.parse(image);
        Platform p = Platform.parse(platform);
        Images im = global.images();
        PrintWriter out = spec.commandLine().getOut();
        String before = current(im, ref);
        Descriptor d;
        switch (mode) {
            case JSON -> {
                JsonProgress jp = ProgressFlags.json(out);
                jp.pullStarted(ref);
                try { d = im.pull(ref, p, registry.options(), jp); }
                catch (RuntimeException e) { jp.error(BerthMain.oneLine(e)); throw e; }
                jp.pulled(ref, d.digestValue(), !d.digest().equals(before));
                return 0;
            }
            case QUIET -> d = im.pull(ref, p, registry.options(), Progress.NONE);
            default -> {
                out.println(ref.reference() + ": Pulling from " + ref.repository());
                out.flush();
                d = im.pull(ref, p, registry.options(), new ProgressPrinter(out, mode == ProgressFlags.Mode.TTY));
                out.println("Digest: " + d.digest());
                out.println("Status: " + (d.digest().equals(before) ? "Image is up to date for " : "Downloaded newer image for ") + ref.familiar());
            }
        }
        out.println(ref);
        return 0;
    }

    /** The manifest the name points at now, or null: "up to date" when a pull leaves it unchanged, as docker says. */
    static String current(Images im, ImageReference ref) {
        try { return im.store().resolve(ref.toString()).digest(); }
        catch (ImageException.NotFound | ImageException.InvalidReference e) { return null; }
    }
}
