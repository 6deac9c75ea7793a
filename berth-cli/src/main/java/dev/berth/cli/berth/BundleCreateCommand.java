package dev.berth.cli.berth;

import dev.berth.engine.bundles.Bundles;
import dev.berth.engine.spec.BundleSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "create", description = {
        "Create an OCI bundle from an image, as docker create makes a container.",
        "DIR/config.json comes from the image config (Entrypoint, Cmd, Env, WorkingDir, User) on the runtime-spec"
                + " defaults with Docker's capabilities; the root filesystem is an overlay mount of the image's layers plus"
                + " a writable layer of its own. Options go before IMAGE; what follows DIR is the command.",
        "Run it with: berth-runc run --bundle DIR NAME. Then: berth diff NAME, berth commit NAME IMAGE, berth bundle rm NAME."})
final class BundleCreateCommand implements Callable<Integer> {
    @Mixin Global global;
    @Option(names = "--name", description = "bundle name (default: DIR's last component); diff, commit and bundle rm take it") String name;
    @Option(names = {"-e", "--env"}, description = "KEY=VALUE (a bare KEY takes this shell's value); repeatable") List<String> env = List.of();
    @Option(names = "--entrypoint", description = "replace the image's Entrypoint (and drop its Cmd); \"\" for none") String entrypoint;
    @Option(names = {"-w", "--workdir"}, description = "working directory (default: the image's WorkingDir or /)") String workdir;
    @Option(names = {"-u", "--user"}, description = "user[:group], names or ids (default: the image's User or root)") String user;
    @Option(names = {"-t", "--tty"}, description = "give the process a terminal (process.terminal)") boolean tty;
    @Option(names = "--read-only", description = "mount the root filesystem read-only") boolean readOnly;
    @Option(names = "--hostname", description = "hostname (default: the name)") String hostname;
    @Parameters(index = "0", paramLabel = "IMAGE") String image;
    @Parameters(index = "1", paramLabel = "DIR", description = "bundle directory (created if missing; must not hold a config.json)") Path dir;
    @Parameters(index = "2..*", paramLabel = "COMMAND", description = "command and arguments (default: the image's Cmd)") List<String> command = List.of();
    @Spec CommandSpec spec;

    @Override public Integer call() throws IOException {
        String n = Bundles.create(global.images(), image, dir, name,
                new BundleSpec.Options(command, entrypoint, env, workdir, user, tty, readOnly, hostname));
        spec.commandLine().getOut().println(n);
        return 0;
    }
}
