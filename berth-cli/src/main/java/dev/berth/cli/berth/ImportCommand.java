package dev.berth.cli.berth;

import dev.berth.image.api.ConfigChanges;
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
    @Option(names = {"-c", "--change"}, paramLabel = "INSTRUCTION", description = "Dockerfile instruction for the config: CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL, EXPOSE, STOPSIGNAL, VOLUME; repeatable")
    java.util.List<String> changes = java.util.List.of();
    @Parameters(index = "0", paramLabel = "SOURCE") Path source;
    @Parameters(index = "1", arity = "0..1", paramLabel = "NAME") String name;
    @Spec CommandSpec spec;

    @Override public Integer call() {
        ImageReference ref = name == null ? null : ImageReference.parse(name);
        Descriptor d = global.images().importRootfs(source, ref, Platform.parse(platform), ConfigChanges.parse(changes));
        spec.commandLine().getOut().println(d.digest());
        return 0;
    }
}
