package dev.berth.cli.berth;

import dev.berth.image.snapshot.Snapshotter;
import java.io.PrintWriter;
import java.util.Comparator;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "ls", aliases = {"list"}, description = "List bundles: name, image, whether the rootfs is mounted, how many processes run in it, bundle directory.")
final class BundleLsCommand implements Callable<Integer> {
    @Mixin Global global;
    @Option(names = {"-q", "--quiet"}, description = "only names") boolean quiet;
    @Spec CommandSpec spec;

    @Override public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Snapshotter snap = global.images().snapshotter();
        var list = snap.list().stream().sorted(Comparator.comparing(Snapshotter.ContainerInfo::id)).toList();
        if (quiet) { list.forEach(c -> out.println(c.id())); return 0; }
        out.printf("%-24s %-40s %-8s %-9s %s%n", "NAME", "IMAGE", "MOUNTED", "PROCESSES", "BUNDLE");
        for (Snapshotter.ContainerInfo c : list)   // PROCESSES: what bundle rm would refuse on
            out.printf("%-24s %-40s %-8s %-9d %s%n", c.id(), c.image(), snap.mounted(c.id()) ? "yes" : "no",
                    snap.processesIn(c.id()).size(), c.labels().getOrDefault(dev.berth.engine.bundles.Bundles.LABEL_DIR, ""));
        return 0;
    }
}
