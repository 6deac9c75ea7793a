package dev.berth.cli.berth;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code berth bundle create|ls|rm}: OCI bundles (rootfs + config.json) made from images, for bin/berth-runc or runc. */
@Command(name = "bundle", description = "OCI bundles from images: a writable overlay rootfs and a config.json that bin/berth-runc (or runc) runs.",
        subcommands = {BundleCreateCommand.class, BundleLsCommand.class, BundleRmCommand.class, CommandLine.HelpCommand.class})
final class BundleCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() { throw new CommandLine.ParameterException(spec.commandLine(), "missing command: bundle create, ls or rm (try berth bundle --help)"); }
}
