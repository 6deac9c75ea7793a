package dev.berth.cli;

import dev.berth.cli.runc.Runc;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The AOT training run: the hot paths of berth-runc (create/run up to the hand-over, state, list,
 * delete, features) in one JVM, against a throw-away state root and bundle. Nothing is launched:
 * with berth.aot.training set, create stops before the exec and undoes what it made.
 */
public final class AotTraining {
  private AotTraining() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    Packager.deleteTree(dir);
    Path bundle = dir.resolve("bundle");
    Files.createDirectories(bundle.resolve("rootfs"));
    try (var in = dev.berth.spec.Spec.class.getResourceAsStream("default-config.json")) {
      String cfg = new String(in.readAllBytes()).replace("\"terminal\": true", "\"terminal\": false");
      Files.writeString(bundle.resolve("config.json"), cfg);
    }
    String root = dir.resolve("state").toString();
    System.setProperty("berth.aot.training", "true");
    PrintStream out = System.out;
    PrintStream err = System.err;
    System.setOut(new PrintStream(java.io.OutputStream.nullOutputStream()));
    // The error paths are part of the training; their messages are not news.
    System.setErr(new PrintStream(java.io.OutputStream.nullOutputStream()));
    int failures = 0;
    try {
      for (int i = 0; i < 3; i++) {
        failures += run(root, "run", "--bundle", bundle.toString(), "aot-" + i) == 0 ? 0 : 1;
        failures += run(root, "create", "--bundle", bundle.toString(), "aot-c" + i) == 0 ? 0 : 1;
      }
      run(root, "list");
      run(root, "state", "aot-missing");
      run(root, "features");
      run(root, "--help");
      run(root, "kill", "aot-missing", "KILL");
      run(root, "delete", "aot-missing");
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
    Packager.deleteTree(dir);
    // Training without root (no cgroups) still caches most classes; say so rather than fail the build.
    if (failures > 0) System.err.println("berth: AOT training: " + failures + " create runs failed (not root?)");
  }

  private static int run(String root, String... args) {
    String[] all = new String[args.length + 2];
    all[0] = "--root";
    all[1] = root;
    System.arraycopy(args, 0, all, 2, args.length);
    return Runc.execute(all);
  }
}
