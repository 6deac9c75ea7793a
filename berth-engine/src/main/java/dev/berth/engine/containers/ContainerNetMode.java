package dev.berth.engine.containers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code --network container:<name|id>}: the container joins another running container's network
 * namespace (its pin under {@code <exec-root>/netns} when it has bridge endpoints, else its init's
 * {@code /proc/<pid>/ns/net}) and sees that container's hostname, /etc/hosts and /etc/resolv.conf,
 * as with dockerd. It has no endpoint of its own: nothing to attach or tear down.
 */
final class ContainerNetMode {
  private ContainerNetMode() {}

  static final String PREFIX = "container:";

  /**
   * At create: a container is named (as dockerd, its existence is checked at start: a 404 here
   * would make the docker CLI try to pull the image).
   */
  static void check(ContainerEngine engine, String mode) {
    String ref = mode.substring(PREFIX.length());
    if (ref.isEmpty()) throw EngineException.invalid("--net: invalid net mode: invalid container format container:<name|id>");
  }

  /** At start: the spec's network namespace is the other container's; its etc files copied. */
  static void join(ContainerEngine engine, Container c, ObjectNode spec) throws IOException {
    String mode = c.hostConfig().path("NetworkMode").asText("");
    if (!mode.startsWith(PREFIX)) return;
    Container other = engine.get(mode.substring(PREFIX.length()));
    if (other.id.equals(c.id)) throw EngineException.invalid("cannot join own network namespace");
    if (!other.running() || other.pid <= 0) {
      throw EngineException.conflict("cannot join network namespace of a non running container: " + other.id);
    }
    Path ns = engine.netnsPin(other);
    if (ns == null) ns = Path.of("/proc", Integer.toString(other.pid), "ns", "net");
    if (!Files.exists(ns)) throw EngineException.conflict("cannot join network namespace of " + other.id + ": " + ns + " is gone");
    boolean set = false;
    for (JsonNode n : spec.path("linux").path("namespaces")) {
      if (n.path("type").asText().equals("network")) {
        ((ObjectNode) n).put("path", ns.toString());
        set = true;
      }
    }
    if (!set) throw EngineException.invalid("network mode " + mode + ": the spec has no network namespace");
    for (String f : new String[] {"hosts", "resolv.conf", "hostname"}) {
      Path src = other.dir.resolve(f);
      if (Files.exists(src)) ContainerEngine.writeAtomic(c.dir.resolve(f), Files.readAllBytes(src));
    }
    String hostname = OciSpec.hostname(other.id, other.config(), other.hostConfig());
    if (spec.has("hostname")) spec.put("hostname", hostname);
  }
}
