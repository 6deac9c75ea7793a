package dev.berth.cli.berth;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "verify", description = "Re-hash every blob and snapshot; exit 4 and list each mismatch.")
final class VerifyCommand implements Callable<Integer> {
    @Mixin Global global;
    @Spec CommandSpec spec;

    @Override public Integer call() {
        List<String> problems = global.images().verify();
        problems.forEach(spec.commandLine().getErr()::println);
        if (problems.isEmpty()) spec.commandLine().getOut().println("store verified: all blobs and snapshots match");
        return problems.isEmpty() ? 0 : 4;
    }
}
