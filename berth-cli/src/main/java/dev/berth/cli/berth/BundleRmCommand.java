package dev.berth.cli.berth;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.Json;
import dev.berth.image.snapshot.Snapshotter;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "rm", aliases = {"remove"}, description = {
        "Remove bundles: unmount the rootfs, delete its writable layer and config.json.",
        "DIR goes too when berth created it and it is now empty. Delete the container with berth-runc first."})
final class BundleRmCommand implements Callable<Integer> {
    @Mixin Global global;
    @Parameters(arity = "1..*", paramLabel = "NAME") List<String> names;
    @Spec CommandSpec spec;

    @Override public Integer call() {
        Snapshotter snap = global.images().snapshotter();
        int code = 0;
        for (String n : names) {
            try {
                remove(snap, n);
                spec.commandLine().getOut().println(n);
            } catch (RuntimeException e) {
                spec.commandLine().getErr().println("berth: " + BerthMain.oneLine(e));
                code = BerthMain.exitCode(e);
            }
        }
        return code;
    }

    static void remove(Snapshotter snap, String name) {
        Snapshotter.ContainerInfo ci = snap.info(name);
        Path rootfs = snap.rootfs(name).toAbsolutePath();
        snap.remove(name);
        String dir = ci.labels().get(BundleCommand.LABEL_DIR);
        if (dir == null) return;
        Path bundle = Path.of(dir);
        Path config = bundle.resolve("config.json");
        try {
            // only the config.json that points at this rootfs: a bundle rewritten since is the user's
            if (Files.isRegularFile(config, LinkOption.NOFOLLOW_LINKS)) {
                JsonNode c = Json.MAPPER.readTree(Files.readAllBytes(config));
                if (rootfs.toString().equals(c.path("root").path("path").asText())) Files.delete(config);
            }
            if (Boolean.parseBoolean(ci.labels().get(BundleCommand.LABEL_CREATED_DIR)) && Files.isDirectory(bundle, LinkOption.NOFOLLOW_LINKS)) {
                boolean empty;
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(bundle)) { empty = !ds.iterator().hasNext(); }
                if (empty) Files.delete(bundle);
            }
        } catch (IOException e) {
            throw new ImageException.Store("bundle " + name + " removed, but not its directory " + bundle + ": " + e.getMessage(), e);
        }
    }
}
