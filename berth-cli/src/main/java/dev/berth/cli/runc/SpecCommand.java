package dev.berth.cli.runc;

import dev.berth.runtime.ContainerException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "spec", description = "Write a starter config.json (like runc spec) into the bundle.")
public class SpecCommand implements Callable<Integer> {
  @Option(names = {"--bundle", "-b"}) Path bundle;
  @Option(names = "--rootless", description = "accepted; edit linux.uidMappings for a user namespace") boolean rootless;

  @Override
  public Integer call() throws Exception {
    Path out = Commands.bundleOrCwd(bundle).resolve("config.json");
    if (Files.exists(out)) throw ContainerException.invalid("file " + out + " exists: remove it first");
    try (InputStream in = dev.berth.spec.Spec.class.getResourceAsStream("default-config.json")) {
      Files.write(out, in.readAllBytes());
    }
    return 0;
  }
}
