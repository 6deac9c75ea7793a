package dev.berth.cli.berth;

import dev.berth.image.registry.CredentialStore;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** docker logout: removes what login kept (helper erase, or the auths entry). */
@Command(name = "logout", description = "Log out from a registry: remove the credentials login kept. Default registry: docker.io.")
final class LogoutCommand implements Callable<Integer> {
    @Mixin RegistryFlags registry;
    @Parameters(index = "0", arity = "0..1", paramLabel = "SERVER") String server;
    @Spec CommandSpec spec;

    @Override public Integer call() {
        String reg = LoginCommand.registryName(server);
        if (CredentialStore.erase(registry.options().dockerConfig(), reg))
            spec.commandLine().getOut().println("Removing login credentials for " + reg);
        else
            spec.commandLine().getOut().println("Not logged in to " + reg);
        return 0;
    }
}
