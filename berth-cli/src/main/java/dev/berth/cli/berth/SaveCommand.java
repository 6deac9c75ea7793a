package dev.berth.cli.berth;

import dev.berth.image.api.ImageException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "save", description = "Save images to a tar archive (docker save and OCI archive in one; --format oci for OCI only).")
final class SaveCommand implements Callable<Integer> {
    @Mixin Global global;
    @Option(names = {"-o", "--output"}, description = "file to write (default: stdout)") Path output;
    @Option(names = "--format", description = "docker (docker + OCI, default) or oci") String format = "docker";
    @Parameters(arity = "1..*", paramLabel = "IMAGE") List<String> images;

    @Override public Integer call() throws IOException {
        if (!format.equals("docker") && !format.equals("oci")) throw new ImageException.InvalidReference("unknown --format " + format + " (docker or oci)");
        var im = global.images();
        if (output == null) {
            if (System.console() != null) throw new ImageException.InvalidReference("refusing to write an archive to a terminal: use -o FILE");
            im.save(images, format.equals("oci"), System.out);
            System.out.flush();
            return 0;
        }
        Path tmp = output.resolveSibling("." + output.getFileName() + ".partial");
        try (OutputStream os = Files.newOutputStream(tmp)) {
            im.save(images, format.equals("oci"), os);
        } catch (RuntimeException | IOException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, output, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return 0;
    }
}
