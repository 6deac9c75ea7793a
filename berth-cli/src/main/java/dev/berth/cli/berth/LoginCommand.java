package dev.berth.cli.berth;

import dev.berth.image.api.ImageException;
import dev.berth.image.api.ImageReference;
import dev.berth.image.registry.CredentialStore;
import dev.berth.image.registry.Credentials;
import dev.berth.image.registry.RegistryClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * docker login: checks the credentials against the registry (GET /v2/ as it challenges), then keeps
 * them where docker would (credential helper, else config.json auths).
 */
@Command(name = "login", description = {"Log in to a registry: check the credentials and keep them as docker does",
        "(the credential helper config.json names, else its auths). Default registry: docker.io."})
final class LoginCommand implements Callable<Integer> {
    @Mixin RegistryFlags registry;
    @Option(names = {"-u", "--username"}, description = "user name") String username;
    @Option(names = {"-p", "--password"}, description = "password (prefer --password-stdin)") String password;
    @Option(names = "--password-stdin", description = "read the password from standard input") boolean passwordStdin;
    @Parameters(index = "0", arity = "0..1", paramLabel = "SERVER") String server;
    @Spec CommandSpec spec;

    @Override public Integer call() throws IOException {
        String reg = registryName(server);
        if (password != null && passwordStdin)
            throw new ImageException.InvalidReference("--password and --password-stdin are mutually exclusive");
        if (passwordStdin) {
            if (username == null) throw new ImageException.InvalidReference("--password-stdin needs --username");
            password = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            if (password == null) password = "";
        }
        if (username == null || username.isEmpty())
            throw new ImageException.InvalidReference("a username is needed (--username)");
        if (password == null || password.isEmpty())
            throw new ImageException.InvalidReference("a password is needed (--password-stdin or --password)");
        if (!passwordStdin) spec.commandLine().getErr().println("WARNING! Using --password via the CLI is insecure. Use --password-stdin.");
        try {
            new RegistryClient(reg, registry.options(), new Credentials(username, password)).ping();
        } catch (ImageException.Registry e) {
            throw new ImageException.Registry(e.status(), "login to " + reg + " failed: " + e.getMessage(), e);
        }
        CredentialStore.store(registry.options().dockerConfig(), reg, username, password);
        spec.commandLine().getOut().println("Login Succeeded");
        return 0;
    }

    /** host[:port] of a SERVER argument (a URL or a host; none: Docker Hub). */
    static String registryName(String server) {
        if (server == null || server.isBlank()) return ImageReference.DOCKER_HUB;
        String s = server.trim().replaceFirst("^https?://", "");
        int slash = s.indexOf('/');
        if (slash >= 0) s = s.substring(0, slash);
        if (s.isEmpty() || !s.matches("[A-Za-z0-9.\\-\\[\\]:]+"))
            throw new ImageException.InvalidReference("not a registry address: " + server);
        if (s.equals("index.docker.io") || s.equals("registry-1.docker.io")) return ImageReference.DOCKER_HUB;
        return s;
    }
}
