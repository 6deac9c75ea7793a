package dev.berth.cli.berth;

import dev.berth.engine.bundles.Bundles;
import dev.berth.image.snapshot.Snapshotter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "rm", aliases = {"remove"}, description = {
        "Remove bundles: unmount the rootfs, delete its writable layer and config.json.",
        "DIR goes too when berth created it and it is now empty.",
        "A bundle that processes run in (a berth-runc container, created or running) is refused unless -f."})
final class BundleRmCommand implements Callable<Integer> {
    @Mixin Global global;
    @Option(names = {"-f", "--force"}, description = "SIGKILL the processes running in the bundle first, as docker rm -f")
    boolean force;
    @Parameters(arity = "1..*", paramLabel = "NAME") List<String> names;
    @Spec CommandSpec spec;

    @Override public Integer call() {
        Snapshotter snap = global.images().snapshotter();
        int code = 0;
        for (String n : names) {
            try {
                Bundles.remove(snap, n, force, m -> spec.commandLine().getErr().println("berth: " + m));
                spec.commandLine().getOut().println(n);
            } catch (RuntimeException e) {
                spec.commandLine().getErr().println("berth: " + BerthMain.oneLine(e));
                code = BerthMain.exitCode(e);
            }
        }
        return code;
    }
}
