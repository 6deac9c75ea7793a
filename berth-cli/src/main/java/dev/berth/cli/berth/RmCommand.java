package dev.berth.cli.berth;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "rm", aliases = {"rmi"}, description = "Remove image names; an image without names leaves the store at the next prune.")
final class RmCommand implements Callable<Integer> {
    @Mixin Global global;
    @Option(names = {"-f", "--force"}, description = "remove even if a container uses it or it has several names") boolean force;
    @Parameters(arity = "1..*", paramLabel = "IMAGE") List<String> images;
    @Spec CommandSpec spec;

    @Override public Integer call() {
        var im = global.images();
        for (String i : images) im.remove(i, force).forEach(spec.commandLine().getOut()::println);
        return 0;
    }
}
