package dev.berth.cli.berth;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "tag", description = "Give an image another name: tag SOURCE TARGET.")
final class TagCommand implements Callable<Integer> {
    @Mixin Global global;
    @Parameters(index = "0", paramLabel = "SOURCE") String source;
    @Parameters(index = "1", paramLabel = "TARGET") String target;

    @Override public Integer call() {
        global.images().tag(source, target);
        return 0;
    }
}
