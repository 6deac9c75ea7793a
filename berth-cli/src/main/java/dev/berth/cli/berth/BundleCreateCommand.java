package dev.berth.cli.berth;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.image.Images;
import dev.berth.image.api.Descriptor;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.Json;
import dev.berth.image.api.MediaTypes;
import dev.berth.image.snapshot.Snapshotter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
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
        Path bundle = dir.toAbsolutePath().normalize();
        String n = name != null ? name : bundle.getFileName() == null ? "" : bundle.getFileName().toString();
        Path config = bundle.resolve("config.json");
        if (Files.exists(bundle, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(bundle, LinkOption.NOFOLLOW_LINKS))
            throw new ImageException.InvalidReference("bundle directory " + bundle + " exists and is not a directory");
        if (Files.exists(config, LinkOption.NOFOLLOW_LINKS))
            throw new ImageException.InvalidReference("bundle directory " + bundle + " already has a config.json");
        Images im = global.images();
        Snapshotter snap = im.snapshotter();
        boolean createDir = !Files.exists(bundle, LinkOption.NOFOLLOW_LINKS);
        Path rootfs = snap.prepare(n, image, Map.of(BundleCommand.LABEL_DIR, bundle.toString(),
                BundleCommand.LABEL_CREATED_DIR, Boolean.toString(createDir)), BundleSpec.mountPoints());
        Path tmp = bundle.resolve(".config.json.partial");
        try {
            Snapshotter.ContainerInfo ci = snap.info(n);
            var m = im.store().manifest(new Descriptor(MediaTypes.OCI_MANIFEST, ci.manifest(), 0, null, null, null));
            ObjectNode imageConfig = im.store().config(m);
            ObjectNode cfg = BundleSpec.generate(imageConfig.get("config"), rootfs, new BundleSpec.Options(command, entrypoint, env,
                    workdir, user, tty, readOnly, hostname != null ? hostname : n.length() > 63 ? n.substring(0, 63) : n));
            cfg.putObject("annotations").put("dev.berth.image", ci.image()).put("dev.berth.image.manifest", ci.manifest());
            if (createDir) {   // 0700 from the start: config.json holds the container's command and environment
                Files.createDirectories(bundle.getParent());
                Files.createDirectory(bundle, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
            }
            Files.write(tmp, Json.pretty(cfg).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            Files.move(tmp, config, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            try { snap.remove(n); } catch (RuntimeException e2) { e.addSuppressed(e2); }
            try {
                Files.deleteIfExists(tmp);
                if (createDir) Files.deleteIfExists(bundle);
            } catch (IOException e2) { e.addSuppressed(e2); }
            if (e instanceof IOException io) throw new ImageException.Store("cannot write bundle " + bundle + ": " + io.getMessage(), io);
            throw e;
        }
        spec.commandLine().getOut().println(n);
        return 0;
    }
}
