package dev.berth.cli.runc;

import dev.berth.runtime.ContainerException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

final class SpecCommand implements RuncCommand {
  public String name() {
    return "spec";
  }

  public String summary() {
    return "Write a starter config.json (like runc spec) into the bundle.";
  }

  public String arguments() {
    return "";
  }

  public List<Flag> flags() {
    return List.of(Flag.value("--bundle", "-b", "dir", "bundle directory (default: current directory)"),
        Flag.bool("--rootless", null, "accepted"));
  }

  public int run(Global g, Args a) throws Exception {
    Path out = Runc.bundleOrCwd(a.path("--bundle")).resolve("config.json");
    if (Files.exists(out)) throw ContainerException.invalid("file " + out + " exists: remove it first");
    try (InputStream in = dev.berth.spec.Spec.class.getResourceAsStream("default-config.json")) {
      Files.write(out, in.readAllBytes());
    }
    return 0;
  }
}
