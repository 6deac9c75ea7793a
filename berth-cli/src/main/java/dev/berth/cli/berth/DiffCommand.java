package dev.berth.cli.berth;

import dev.berth.image.snapshot.Change;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "diff", description = "Show what a bundle's container changed in its root filesystem, as docker diff: A added, C changed, D deleted.")
final class DiffCommand implements Callable<Integer> {
    @Mixin Global global;
    @Parameters(paramLabel = "NAME", description = "bundle name (berth bundle create --name)") String name;
    @Spec CommandSpec spec;

    @Override public Integer call() {
        for (Change c : global.images().snapshotter().diff(name)) spec.commandLine().getOut().println(c);
        return 0;
    }
}
