package dev.berth.cli.berth;

import dev.berth.image.Images;
import dev.berth.image.api.Digest;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.ImageReference;
import dev.berth.image.registry.JsonProgress;
import dev.berth.image.registry.Progress;
import dev.berth.image.registry.Pusher;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "push", description = "Push an image to a registry: push IMAGE [TARGET].")
final class PushCommand implements Callable<Integer> {
    @Mixin Global global;
    @Mixin RegistryFlags registry;
    @Mixin ProgressFlags progress;
    @Option(names = "--chunk-size", paramLabel = "SIZE", description = "bytes per PATCH of a chunked upload (default 16MiB; k, m, g suffixes)")
    String chunkSize = "16MiB";
    @Option(names = "--chunk-threshold", paramLabel = "SIZE", description = "blobs larger than this are uploaded in chunks, resumed after a failure; smaller ones in one PUT (default: the chunk size; \"none\": never chunk)")
    String chunkThreshold;
    @Parameters(index = "0", paramLabel = "IMAGE") String image;
    @Parameters(index = "1", arity = "0..1", paramLabel = "TARGET", description = "registry/repository[:tag] (default: IMAGE's name)") String target;
    @Spec CommandSpec spec;

    @Override public Integer call() {
        ProgressFlags.Mode mode = progress.mode();
        long chunk = size(chunkSize, "--chunk-size");
        long threshold = chunkThreshold == null ? chunk : chunkThreshold.equals("none") ? Long.MAX_VALUE : size(chunkThreshold, "--chunk-threshold");
        Pusher.Chunking chunking = new Pusher.Chunking(threshold, chunk);
        ImageReference t = target != null ? ImageReference.parse(target) : ImageReference.parse(image);
        Images im = global.images();
        long manifestSize = im.store().resolve(image).size();
        PrintWriter out = spec.commandLine().getOut();
        Digest d;
        switch (mode) {
            case JSON -> {
                JsonProgress jp = ProgressFlags.json(out);
                jp.pushStarted(t);
                try { d = im.push(image, t, registry.options(), chunking, jp); }
                catch (RuntimeException e) { jp.error(BerthMain.oneLine(e)); throw e; }
                jp.pushed(t, d, manifestSize);
                return 0;
            }
            case QUIET -> {
                im.push(image, t, registry.options(), chunking, Progress.NONE);
                out.println(t);
            }
            default -> {
                out.println("The push refers to repository [" + t.name() + "]");
                out.flush();
                d = im.push(image, t, registry.options(), chunking, new ProgressPrinter(out, mode == ProgressFlags.Mode.TTY));
                out.println(t.reference() + ": digest: " + d + " size: " + manifestSize);
            }
        }
        return 0;
    }

    /** "16MiB", "16m", "512k", "1g", "65536" → bytes (binary units). */
    static long size(String s, String flag) {
        String v = s.trim().toLowerCase(Locale.ROOT).replaceFirst("i?b$", "");
        long mult = 1;
        if (!v.isEmpty()) {
            switch (v.charAt(v.length() - 1)) {
                case 'k' -> mult = 1L << 10;
                case 'm' -> mult = 1L << 20;
                case 'g' -> mult = 1L << 30;
                default -> {}
            }
            if (mult > 1) v = v.substring(0, v.length() - 1);
        }
        try {
            long n = Long.parseLong(v.trim());
            if (n < 0) throw new NumberFormatException();
            return Math.multiplyExact(n, mult);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new ImageException.InvalidReference("invalid " + flag + " " + s + " (bytes, or with k, m, g: 16m, 512KiB)");
        }
    }
}
