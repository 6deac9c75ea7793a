package dev.berth.runtime.ops;

import dev.berth.runtime.ContainerException;
import dev.berth.runtime.convert.HookState;
import dev.berth.runtime.state.Container;
import dev.berth.spec.Spec;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the hooks that happen in the runtime's own process: poststart (start) and poststop (delete). */
final class Hooks {
  private Hooks() {}

  /** The config.json saved at create, or null if it is gone. */
  static Spec config(Container c) {
    Path p = c.dir().resolve("config.json");
    if (!Files.exists(p)) return null;
    return Spec.load(p);
  }

  /**
   * Runs each hook with the state on stdin. {@code strict}: a failing hook is an error; otherwise
   * (poststart, poststop per the spec) it is reported on stderr and the next one runs.
   */
  static void run(Spec spec, List<Spec.Hook> hooks, Container c, String status, int pid, boolean strict) {
    String state = HookState.json(spec, c.id(), Path.of(c.record().bundle()), status, pid);
    for (Spec.Hook h : hooks) {
      String err = runOne(h, state);
      if (err == null) continue;
      if (strict) throw new ContainerException(ContainerException.Kind.SYSTEM, err);
      System.err.println("berth-runc: warning: " + err);
    }
  }

  private static String runOne(Spec.Hook h, String state) {
    List<String> argv = new ArrayList<>(h.args().isEmpty() ? List.of(h.path()) : h.args());
    ProcessBuilder pb = new ProcessBuilder(argv);
    pb.environment().clear();
    for (String kv : h.env()) {
      int eq = kv.indexOf('=');
      if (eq > 0) pb.environment().put(kv.substring(0, eq), kv.substring(eq + 1));
    }
    pb.redirectOutput(ProcessBuilder.Redirect.INHERIT).redirectError(ProcessBuilder.Redirect.INHERIT);
    try {
      // Run the hook's path, with its args (args[0] is the name it sees).
      pb.command().set(0, h.path());
      Process p = pb.start();
      try (OutputStream in = p.getOutputStream()) {
        in.write(state.getBytes(StandardCharsets.UTF_8));
      } catch (IOException ignored) {
        // a hook may not read its stdin
      }
      boolean done = h.timeout() == null ? p.waitFor() >= 0 : p.waitFor(h.timeout(), TimeUnit.SECONDS);
      if (!done) {
        p.destroyForcibly();
        return "hook " + h.path() + " timed out after " + h.timeout() + "s";
      }
      return p.exitValue() == 0 ? null : "hook " + h.path() + " exited with " + p.exitValue();
    } catch (IOException e) {
      return "hook " + h.path() + ": " + e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "hook " + h.path() + ": interrupted";
    }
  }
}
