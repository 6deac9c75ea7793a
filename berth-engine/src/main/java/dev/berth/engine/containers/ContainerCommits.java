package dev.berth.engine.containers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.image.api.ConfigChanges;
import dev.berth.image.api.Descriptor;
import dev.berth.image.api.ImageException;
import dev.berth.image.api.ImageReference;
import dev.berth.image.snapshot.Change;
import java.util.List;
import java.util.Map;

/**
 * What a container changed in its file system, and a new image made of it: GET
 * /containers/{id}/changes ({@code docker diff}) and POST /commit ({@code docker commit}), over the
 * snapshotter's upper directory of the container.
 */
public final class ContainerCommits {
  private final ContainerEngine engine;

  public ContainerCommits(ContainerEngine engine) { this.engine = engine; }

  /** dockerd's shape: [{"Path": "/tmp/x", "Kind": 0 modified | 1 added | 2 deleted}]. */
  public ArrayNode changes(String ref) {
    Container c = engine.get(ref);
    List<Change> changes;
    try {
      changes = engine.images().snapshotter().diff(c.id);
    } catch (ImageException e) {
      throw EngineException.system("cannot list the changes of " + c.name() + ": " + e.getMessage());
    }
    ArrayNode out = Container.M.createArrayNode();
    for (Change ch : changes) {
      ObjectNode o = out.addObject();
      o.put("Path", ch.path());
      o.put("Kind", switch (ch.kind()) { case C -> 0; case A -> 1; case D -> 2; });
    }
    return out;
  }

  /**
   * Commits the container's changes as a new image: its config is the container's (with
   * {@code config}'s non-empty fields over it, as dockerd merges them), then the Dockerfile
   * {@code changes}; {@code repo} empty makes an untagged image. Returns the image id
   * ("sha256:" + the config's digest).
   */
  public String commit(String ref, String repo, String tag, String comment, String author, List<String> changes,
      JsonNode config, boolean pause) {
    Container c = engine.get(ref);
    ImageReference name = null;
    ConfigChanges parsed;
    try {
      if (repo != null && !repo.isEmpty()) {
        name = ImageReference.parse(tag == null || tag.isEmpty() ? repo : repo + ":" + tag);
      } else if (tag != null && !tag.isEmpty()) {
        throw EngineException.invalid("invalid reference format: a tag without a repository");
      }
      parsed = ConfigChanges.parse(changes);
    } catch (ImageException e) {
      throw EngineException.invalid(e.getMessage());
    }
    if (config != null && !config.isNull() && !config.isObject()) throw EngineException.invalid("the commit's config must be an object");
    boolean paused = false;
    if (pause && c.status().equals("running")) {
      engine.pause(c.id);
      paused = true;
    }
    Descriptor d;
    try {
      ObjectNode merged = c.config().deepCopy();
      merged.remove(List.of("Hostname", "Domainname", "Image", "AttachStdin", "AttachStdout", "AttachStderr", "Tty",
          "OpenStdin", "StdinOnce"));
      if (config != null && config.isObject()) {
        config.properties().forEach(e -> {
          JsonNode v = e.getValue();
          boolean empty = v.isNull() || (v.isTextual() && v.asText().isEmpty()) || (v.isContainerNode() && v.isEmpty());
          if (!empty) merged.set(e.getKey(), v.deepCopy());
        });
      }
      String createdBy = String.join(" ", c.args.isEmpty() ? List.of(c.path) : concat(c.path, c.args));
      d = engine.images().snapshotter().commit(c.id, name, cfg -> {
        ObjectNode inner = cfg.withObjectProperty("config");
        inner.removeAll();
        inner.setAll(merged);
        parsed.applyTo(inner);
        if (author != null && !author.isEmpty()) cfg.put("author", author);
        else cfg.remove("author");
      }, createdBy, comment);
    } catch (ImageException e) {
      throw EngineException.system("cannot commit " + c.name() + ": " + e.getMessage());
    } finally {
      if (paused) engine.unpause(c.id);
    }
    String imageId;
    try {
      imageId = engine.images().store().manifest(d).config().digest().toString();
    } catch (ImageException e) {
      throw EngineException.system("committed " + c.name() + " but cannot read the new image: " + e.getMessage());
    }
    engine.event(c, "commit", Map.of("comment", comment == null ? "" : comment));
    return imageId;
  }

  private static List<String> concat(String head, List<String> rest) {
    List<String> l = new java.util.ArrayList<>();
    l.add(head);
    l.addAll(rest);
    return l;
  }
}
