package dev.berth.runtime.ops;

import dev.berth.runtime.RuntimeContext;
import dev.berth.runtime.plan.Plan;
import dev.berth.runtime.plan.PlanTag;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Warm exec (berth-native verbs.c): after an {@code exec --process FILE} the slow way, its plan is
 * kept as a template in {@code <state dir>/exec-cache/<key>.plan} with the pid file and console
 * socket paths as placeholders and process.json's bytes in a {@link PlanTag#EXEC_PROCESS} record, so
 * that the next exec of the same process.json in this container (a Kubernetes exec probe) needs no
 * JVM. The key is the launcher's, handed over on its miss in {@code $BERTH_EXEC_KEY}; the templates
 * go with the container's directory.
 */
public final class ExecWarm {
  public static final String PID_FILE = "/@@BERTH-PID-FILE@@";
  public static final String CONSOLE_SOCKET = "/@@BERTH-CONSOLE-SOCKET@@";
  /** At most this many templates per container (distinct process.json files exec'd). */
  static final int MAX_TEMPLATES = 32;

  private ExecWarm() {}

  /** The launcher's key for this exec (32 hex digits), or null when it did not come through it. */
  public static String keyFromLauncher() {
    String k = System.getenv("BERTH_EXEC_KEY");
    return k != null && k.length() == 32 && k.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) ? k : null;
  }

  /** Stores the template for {@code r} (whose process came from {@code processJson}); never fails the exec. */
  public static void store(RuntimeContext ctx, String key, Exec.Request r, byte[] processJson) {
    if (key == null || r.preserveFds() != 0) return;
    try {
      Exec.Request t = new Exec.Request(r.id(), r.process(), r.pidFile() == null ? null : Path.of(PID_FILE),
          r.consoleSocket() == null ? null : Path.of(CONSOLE_SOCKET), r.detach(), 0);
      Plan plan = new Plan().add(PlanTag.EXEC_PROCESS, (Object) processJson).append(Exec.prepare(ctx, t));
      Path cache = ctx.store().dir(r.id()).resolve("exec-cache");
      var owner = PosixFilePermissions.fromString("rwx------");
      if (!Files.isDirectory(cache, LinkOption.NOFOLLOW_LINKS)) {
        Files.createDirectory(cache, PosixFilePermissions.asFileAttribute(owner));
      }
      if (!Files.getPosixFilePermissions(cache, LinkOption.NOFOLLOW_LINKS).equals(owner)) return;
      try (var files = Files.list(cache)) {
        if (files.count() >= MAX_TEMPLATES) return;
      }
      Path tmp = Files.createTempFile(cache, ".plan", ".tmp");
      try {
        Files.write(tmp, plan.encode());
        Files.move(tmp, cache.resolve(key + ".plan"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException | RuntimeException e) {
      // no template: the next exec takes the JVM path again
    }
  }
}
