package dev.berth.spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * An OCI runtime-spec 1.2 configuration (config.json). This is the only code that reads the raw
 * document; everything after works on these records. {@link #parse} checks types;
 * {@link SpecValidator} checks consistency.
 */
public record Spec(
    String ociVersion,
    Process process,
    Root root,
    String hostname,
    String domainname,
    List<Mount> mounts,
    Hooks hooks,
    Map<String, String> annotations,
    Linux linux) {

  public static Spec load(Path configJson) {
    return parse(readBytes(configJson));
  }

  /** The file's bytes, or a SpecException naming it. */
  public static byte[] readBytes(Path configJson) {
    try {
      return Files.readAllBytes(configJson);
    } catch (NoSuchFileException e) {
      throw new SpecException("", "config.json not found: " + configJson);
    } catch (IOException e) {
      throw new SpecException("", "cannot read " + configJson + ": " + e.getMessage());
    }
  }

  /** The document's top-level object, parsed (errors name line and column). */
  public static Object readTree(byte[] json) {
    Object tree = Json.parse(json);
    if (!(tree instanceof java.util.Map)) throw new SpecException("", "malformed JSON: expected an object");
    return tree;
  }

  public static Spec parse(byte[] json) {
    return of(Node.root(readTree(json)));
  }

  public static Spec of(Node n) {
    n.requireObject();
    return new Spec(
        n.get("ociVersion").string(),
        n.has("process") ? Process.of(n.get("process")) : null,
        n.has("root") ? Root.of(n.get("root")) : null,
        n.optString("hostname"),
        n.optString("domainname"),
        n.list("mounts", Mount::of),
        n.has("hooks") ? Hooks.of(n.get("hooks")) : Hooks.NONE,
        n.stringMap("annotations"),
        n.has("linux") ? Linux.of(n.get("linux")) : Linux.of(new Node(null, "linux")));
  }

  public record Root(String path, boolean readonly) {
    static Root of(Node n) {
      n.requireObject();
      return new Root(n.string("path"), n.optBool("readonly", false));
    }
  }

  public record Mount(String destination, String type, String source, List<String> options,
      List<IdMapping> uidMappings, List<IdMapping> gidMappings) {
    static Mount of(Node n) {
      n.requireObject();
      return new Mount(n.string("destination"), n.optString("type"), n.optString("source"),
          n.strings("options"), n.list("uidMappings", IdMapping::of), n.list("gidMappings", IdMapping::of));
    }
  }

  public record IdMapping(long containerID, long hostID, long size) {
    static IdMapping of(Node n) {
      n.requireObject();
      return new IdMapping(n.unsigned("containerID"), n.unsigned("hostID"), n.unsigned("size"));
    }
  }

  public record Hook(String path, List<String> args, List<String> env, Integer timeout) {
    static Hook of(Node n) {
      n.requireObject();
      Integer timeout = n.optInt("timeout");
      if (timeout != null && timeout <= 0) throw n.get("timeout").error("must be positive, got " + timeout);
      return new Hook(n.string("path"), n.strings("args"), n.strings("env"), timeout);
    }
  }

  public record Hooks(List<Hook> prestart, List<Hook> createRuntime, List<Hook> createContainer,
      List<Hook> startContainer, List<Hook> poststart, List<Hook> poststop) {
    public static final Hooks NONE = new Hooks(List.of(), List.of(), List.of(), List.of(), List.of(), List.of());

    static Hooks of(Node n) {
      n.requireObject();
      return new Hooks(n.list("prestart", Hook::of), n.list("createRuntime", Hook::of),
          n.list("createContainer", Hook::of), n.list("startContainer", Hook::of),
          n.list("poststart", Hook::of), n.list("poststop", Hook::of));
    }
  }
}
