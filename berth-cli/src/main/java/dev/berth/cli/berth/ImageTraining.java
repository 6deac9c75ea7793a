package dev.berth.cli.berth;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An offline workload of the image commands for the AOT training run (the packaging step may call
 * {@link #run(Path)} beside berth-runc's): import (tar writer, gzip, safe extraction, snapshot),
 * images, inspect, history, tag, save, load (archive reader), verify, rm, prune, in a throw-away
 * root under {@code dir}. No network: the registry client is not trained.
 */
public final class ImageTraining {
    private ImageTraining() {}

    public static void run(Path dir) throws IOException {
        Path rootfs = dir.resolve("rootfs");
        Files.createDirectories(rootfs.resolve("etc"));
        Files.createDirectories(rootfs.resolve("bin"));
        for (int i = 0; i < 200; i++) Files.writeString(rootfs.resolve("etc").resolve("f" + i), "training " + i + "\n".repeat(i));
        Files.createSymbolicLink(rootfs.resolve("bin/sh"), Path.of("busybox"));
        String a = dir.resolve("a").toString(), b = dir.resolve("b").toString();
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        for (int round = 0; round < 3; round++) {
            String name = "training:" + round;
            BerthMain.run(new String[]{"import", "--root", a, rootfs.toString(), name}, quiet, quiet);
            BerthMain.run(new String[]{"images", "--root", a}, quiet, quiet);
            BerthMain.run(new String[]{"inspect", "--root", a, name}, quiet, quiet);
            BerthMain.run(new String[]{"history", "--root", a, name}, quiet, quiet);
            BerthMain.run(new String[]{"tag", "--root", a, name, "localhost:5000/training/img:" + round}, quiet, quiet);
            Path archive = dir.resolve("saved-" + round + ".tar");
            BerthMain.run(new String[]{"save", "--root", a, "-o", archive.toString(), name}, quiet, quiet);
            BerthMain.run(new String[]{"load", "--root", b, "-i", archive.toString()}, quiet, quiet);
            BerthMain.run(new String[]{"verify", "--root", b}, quiet, quiet);
            BerthMain.run(new String[]{"rm", "--root", a, "--force", name}, quiet, quiet);
            BerthMain.run(new String[]{"prune", "--root", a}, quiet, quiet);
            BerthMain.run(new String[]{"inspect", "--root", a, "training:missing"}, quiet, quiet);
        }
    }

    public static void main(String[] args) throws IOException { run(Path.of(args[0])); }
}
