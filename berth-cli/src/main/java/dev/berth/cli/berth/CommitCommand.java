package dev.berth.cli.berth;

import dev.berth.image.api.ConfigChanges;
import dev.berth.image.api.Descriptor;
import dev.berth.image.api.ImageReference;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "commit", description = {
        "Make a new image from a bundle's changes, as docker commit.",
        "The bundle's writable layer becomes a layer on top of its image (history: \"berth commit NAME\";"
                + " provenance: committed from container NAME). Prints the new manifest digest."})
final class CommitCommand implements Callable<Integer> {
    @Mixin Global global;
    @Option(names = {"-c", "--change"}, paramLabel = "INSTRUCTION", description = "Dockerfile instruction for the new config: CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL, EXPOSE, STOPSIGNAL, VOLUME; repeatable")
    java.util.List<String> changes = java.util.List.of();
    @Parameters(index = "0", paramLabel = "NAME", description = "bundle name") String name;
    @Parameters(index = "1", arity = "0..1", paramLabel = "IMAGE", description = "name of the new image, REPOSITORY[:TAG] (default: none)") String target;
    @Spec CommandSpec spec;

    @Override public Integer call() {
        ImageReference ref = target == null ? null : ImageReference.parse(target);   // bad input fails before any work
        ConfigChanges c = ConfigChanges.parse(changes);
        var snap = global.images().snapshotter();
        snap.info(name);
        Descriptor d = snap.commit(name, ref, c);
        spec.commandLine().getOut().println(d.digest());
        return 0;
    }
}
